"""The `load` of an entrypoint and `simulation.series` (SPEC §14): parsing and bounds."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from meshsim import parse_scenario
from meshsim.errors import ScenarioError
from models import Scenario
from models.load import SineLoad, SpikeLoad


def scenario(load, **sim):
    return Scenario.model_validate(
        {
            "services": [{"name": "a"}],
            "entrypoints": [{"name": "w", "service": "a", "rate": "200/s", "load": load}],
            "simulation": {"duration": "60s", **sim},
        }
    )


def test_points_and_shorthands_parse():
    points = (
        scenario([{"at": "20s", "rate": "600/s", "ramp": "5s"}, {"at": "40s", "rate": "200/s"}])
        .entrypoints[0]
        .load
    )
    assert [(p.at, p.rate, p.ramp) for p in points] == [(20.0, 600.0, 5.0), (40.0, 200.0, 0.0)]
    spike = scenario({"shape": "spike", "peak": "600/s", "at": "20s", "duration": "10s"})
    load = spike.entrypoints[0].load
    assert isinstance(load, SpikeLoad)
    assert (load.peak, load.at, load.duration) == (600.0, 20.0, 10.0)
    sine = scenario({"shape": "sine", "amplitude": 0.5, "period": "1m"}).entrypoints[0].load
    assert isinstance(sine, SineLoad) and (sine.amplitude, sine.period) == (0.5, 60.0)
    assert scenario(None).entrypoints[0].load is None


@pytest.mark.parametrize(
    ("load", "where", "words"),
    [
        ([{"at": "20s", "rate": "6/s", "ramp": "25s"}, {"at": "40s", "rate": 2}], "points", "ramp"),
        ([{"at": "20s", "rate": 6}, {"at": "10s", "rate": 2}], "points", "time order"),
        ([{"at": "1s", "rate": "2000000/s"}], "rate", "1000000"),
        ([], "points", "at least 1"),
        ({"shape": "sine", "amplitude": 1.0, "period": "1s"}, "amplitude", "less than 1"),
        ({"shape": "sine", "amplitude": 0.5, "period": "0s"}, "sine", "period must be > 0"),
        ({"shape": "spike", "peak": 5, "at": "1s", "duration": "0s"}, "spike", "duration"),
        ({"shape": "square"}, "load", "square"),
        ([{"at": "1s", "rate": 5, "speed": 2}], "speed", "Extra"),
    ],
)
def test_bad_load_names_the_field(load, where, words):
    with pytest.raises(ValidationError) as err:
        scenario(load)
    text = str(err.value)
    assert "entrypoints.0.load" in text and where in text and words in text


def test_loader_reports_the_yaml_line_of_a_bad_point():
    text = """
services: [{name: a}]
entrypoints:
  - name: w
    service: a
    rate: 10/s
    load:
      - {at: 5s, rate: 20/s}
      - {at: 2s, rate: 30/s}
"""
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text)
    assert "entrypoints[0].load" in str(err.value)
    assert "time order" in str(err.value)


def test_series_width_is_positive_and_bounded():
    assert scenario(None, series="1s").simulation.series == 1.0
    assert scenario(None).simulation.series is None
    with pytest.raises(ValidationError, match="at most 100,000"):
        scenario(None, series="100us")
    with pytest.raises(ValidationError, match="series must be a bucket width > 0"):
        scenario(None, series="0s")
