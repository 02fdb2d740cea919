from __future__ import annotations

import math

import pytest
from pydantic import TypeAdapter, ValidationError

from models import (
    Distribution,
    LogNormal,
    format_duration,
    parse_duration,
    parse_probability,
    parse_rate,
)


@pytest.mark.parametrize(
    "text, seconds",
    [("250ms", 0.25), ("1.5s", 1.5), ("2m", 120.0), ("100us", 1e-4), (0, 0.0), (" 3 ms ", 0.003)],
)
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["5", 5, "5h", "-1s", "fast", True, None, "nan s"])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_duration_round_trip():
    for text in ("250ms", "1.5s", "120s", "100us", "0.09ms"):
        assert parse_duration(format_duration(parse_duration(text))) == pytest.approx(
            parse_duration(text)
        )


@pytest.mark.parametrize(
    "text, rps", [(200, 200.0), ("200/s", 200.0), ("1200/m", 20.0), ("0.5", 0.5)]
)
def test_rates(text, rps):
    assert parse_rate(text) == rps


@pytest.mark.parametrize("bad", [0, "-3/s", "3/h", "x"])
def test_bad_rates(bad):
    with pytest.raises(ValueError):
        parse_rate(bad)


def test_probabilities():
    assert parse_probability("0.1%") == pytest.approx(0.001)
    assert parse_probability(0.25) == 0.25
    with pytest.raises(ValueError):
        parse_probability(1.5)
    with pytest.raises(ValueError):
        parse_probability("150%")


def test_distributions():
    ta = TypeAdapter(Distribution)
    assert ta.validate_python("5ms").mean == 0.005
    ln = ta.validate_python({"dist": "lognormal", "median": "4ms", "p99": "30ms"})
    assert isinstance(ln, LogNormal)
    assert ln.sigma == pytest.approx(math.log(7.5) / 2.3263)
    assert ta.validate_python({"dist": "gamma", "mean": "2ms", "cv": 0.5}).mean == 0.002
    assert ta.validate_python({"dist": "uniform", "low": "1ms", "high": "3ms"}).mean == 0.002
    assert ta.validate_python({"dist": "empirical", "samples": ["1ms", "3ms"]}).mean == 0.002
    for bad in (
        {"dist": "lognormal", "median": "4ms", "p99": "4ms"},
        {"dist": "uniform", "low": "3ms", "high": "1ms"},
        {"dist": "weibull", "mean": "1ms"},
        {"mean": "1ms"},
        {"dist": "gamma", "mean": "1ms", "cv": 0},
    ):
        with pytest.raises(ValidationError):
            ta.validate_python(bad)
