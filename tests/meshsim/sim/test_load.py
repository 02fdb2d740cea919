"""Arrivals under a changing rate (SPEC §14) against the integral of the rate."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from meshsim import run_scenario
from meshsim.sim.load import arrival_gaps, load_curve
from models import Scenario
from tests.conftest import build


def curve_of(rate, load):
    doc = {
        "services": [{"name": "a"}],
        "entrypoints": [{"name": "w", "service": "a", "rate": rate, "load": load}],
    }
    entry = Scenario.model_validate(doc).entrypoints[0]
    return load_curve(entry.rate, entry.load)


def arrivals(curve, seed, poisson, end):
    gap = arrival_gaps(curve, random.Random(seed), poisson)
    times, t = [], 0.0
    while True:
        t += gap()
        if t >= end:
            return np.array(times)
        times.append(t)


def chi2_quantile(p_upper_z: float, k: int) -> float:
    """Upper quantile of chi2(k) by Wilson-Hilferty (within 1% for k >= 20).

    ``p_upper_z`` is the standard normal quantile of the tail (3.719 for 1e-4).
    """
    h = 2.0 / (9.0 * k)
    return k * (1.0 - h + p_upper_z * math.sqrt(h)) ** 3


def assert_poisson_counts(times, curve, end, width=1.0):
    """Counts per window are independent Poisson(integral): a chi-square test at 1e-4.

    The statistic sum (N - mu)^2 / mu over k windows is ~ chi2(k) for Poisson counts
    (mu >= 50 here, so the normal approximation holds); a seeded run fails it with
    probability 1e-4 if the process is right, and surely if a window's mean is off by 10%.
    """
    edges = np.arange(0.0, end + width / 2, width)
    counts, _ = np.histogram(times, bins=edges)
    mu = np.array([curve.integral(a, a + width) for a in edges[:-1]])
    stat = float(((counts - mu) ** 2 / mu).sum())
    assert stat < chi2_quantile(3.719, len(mu)), (stat, counts, mu)
    total = curve.integral(0.0, end)
    assert abs(len(times) - total) < 4.5 * math.sqrt(total)


RAMP = [{"at": "10s", "rate": "300/s", "ramp": "10s"}, {"at": "30s", "rate": "50/s"}]


def test_integral_of_ramps_steps_and_spikes_is_exact():
    c = curve_of("100/s", RAMP)
    assert c.integral(0, 10) == 1000.0
    assert c.integral(10, 20) == pytest.approx(2000.0)  # mean of 100 and 300 over 10 s
    assert c.integral(12, 13) == pytest.approx(150.0)  # 140 -> 160
    assert c.integral(20, 30) == 3000.0
    assert c.integral(30, 40) == 500.0
    spike = curve_of("100/s", {"shape": "spike", "peak": "600/s", "at": "20s", "duration": "10s"})
    assert [spike.rate_at(t) for t in (19.99, 20.0, 29.99, 30.0)] == [100, 600, 600, 100]
    assert spike.integral(0, 60) == 100 * 50 + 600 * 10


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_poisson_counts_follow_a_ramp(seed):
    c = curve_of("100/s", RAMP)
    times = arrivals(c, seed, True, 40.0)
    assert_poisson_counts(times, c, 40.0)
    # the ramp's shape: counts of its 10 windows rise by 20/s each; the least-squares
    # slope of 10 Poisson counts (sd about sqrt(200)) has sd sqrt(200 / 82.5) = 1.6
    ramp = np.histogram(times, bins=np.arange(10.0, 21.0))[0]
    slope = np.polyfit(np.arange(10), ramp, 1)[0]
    assert abs(slope - 20.0) < 4.5 * math.sqrt(200 / 82.5)


@pytest.mark.parametrize("seed", [1, 2])
def test_sine_mean_and_halves(seed):
    c = curve_of("200/s", {"shape": "sine", "amplitude": 0.5, "period": "20s"})
    times = arrivals(c, seed, True, 200.0)
    assert_poisson_counts(times, c, 200.0)
    # over whole periods the mean rate is the base rate
    assert abs(len(times) / 200.0 - 200.0) < 4.5 * math.sqrt(200 * 200) / 200
    # the high half-periods carry base * (T/2 + a T / pi) each: 10 * 200 * (1 + 1/pi)
    high = sum(((times >= k * 20) & (times < k * 20 + 10)).sum() for k in range(10))
    expected = 10 * 200.0 * (10 + 0.5 * 20 / math.pi)
    assert abs(high - expected) < 4.5 * math.sqrt(expected)


def test_constant_arrivals_are_spaced_by_the_current_rate():
    c = curve_of("8/s", [{"at": "10s", "rate": "16/s"}])
    times = arrivals(c, 1, False, 20.0)
    counts = np.histogram(times, bins=np.arange(0.0, 21.0))[0]
    # first arrival one gap after 0; 0.125 and 0.0625 are exact in binary
    assert counts.tolist() == [7] + [8] * 9 + [16] * 10
    assert np.allclose(np.diff(times[times < 10]), 0.125)
    assert np.allclose(np.diff(times[times >= 10]), 0.0625)


def test_constant_arrivals_under_a_ramp_track_the_integral():
    c = curve_of("100/s", RAMP)
    times = arrivals(c, 1, False, 40.0)
    counts = np.histogram(times, bins=np.arange(0.0, 41.0))[0]
    mu = [c.integral(a, a + 1) for a in range(40)]
    assert np.all(np.abs(counts - mu) <= 2.0), (counts, mu)


def test_engine_measures_the_integral_of_the_window():
    s = build(
        [{"name": "a", "serviceTime": {"dist": "constant", "value": "1ms"}}],
        entrypoints=[{"name": "web", "service": "a", "rate": "100/s", "load": RAMP}],
        simulation={"duration": "40s", "warmup": "5s", "replications": 2},
    )
    result = run_scenario(s).phases[0].entrypoints["web"]
    expected = curve_of("100/s", RAMP).integral(5.0, 40.0)  # 7000
    # mean of 2 replications: sd sqrt(expected / 2)
    assert abs(result.requests - expected) < 4.5 * math.sqrt(expected / 2)
    assert result.success_rate == 1.0


def test_a_scenario_without_load_draws_the_same_arrivals():
    # the homogeneous sampler is unchanged: a flat load takes the thinning path but a
    # constant segment needs no rejection draw, so it draws the same exponentials
    plain = build([{"name": "a"}], simulation={"duration": "5s"})
    flat = build(
        [{"name": "a"}],
        entrypoints=[
            {"name": "web", "service": "a", "rate": "10/s", "load": [{"at": "0s", "rate": "10/s"}]}
        ],
        simulation={"duration": "5s"},
    )
    a, b = run_scenario(plain), run_scenario(flat)
    assert a.phases[0].entrypoints == b.phases[0].entrypoints


def test_run_estimate_counts_the_load_over_time():
    from meshsim.sim.sizing import estimate_run

    spike = {"shape": "spike", "peak": "300/s", "at": "10s", "duration": "10s"}
    s = build(
        [{"name": "a"}],
        entrypoints=[{"name": "web", "service": "a", "rate": "100/s", "load": spike}],
        simulation={"duration": "40s"},
    )
    # 100/s for 30 s and 300/s for 10 s: 6,000 requests in one run of one phase
    assert estimate_run(s, phases=1).requests == 6000.0
