"""The engine against queueing theory (exact answers, stated tolerances)."""

from __future__ import annotations

import math

from meshsim import run_scenario
from tests.conftest import build


def entry(results, phase=0, name="web"):
    return results.phases[phase].entrypoints[name]


def erlang_c(c: int, lam: float, mu: float) -> float:
    """Probability an arrival waits in an M/M/c queue."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def test_mm1_mean_and_percentiles():
    # M/M/1 with lambda = 70/s, mu = 100/s: sojourn ~ Exp(mu - lambda), mean 33.3 ms.
    s = build(
        [{"name": "q", "concurrency": 1, "serviceTime": {"dist": "exponential", "mean": "10ms"}}],
        entrypoints=[{"name": "web", "service": "q", "rate": "70/s"}],
        simulation={"duration": "1500s", "warmup": "20s"},
    )
    e = entry(run_scenario(s))
    mean = 1000 / (100 - 70)
    # Tolerance 5%: ~100k requests at rho 0.7 give a relative standard error near 2%.
    assert math.isclose(e.latency_ms.mean, mean, rel_tol=0.05)
    assert math.isclose(e.latency_ms.p50, mean * math.log(2), rel_tol=0.05)
    assert math.isclose(e.latency_ms.p90, mean * math.log(10), rel_tol=0.05)
    assert math.isclose(e.latency_ms.p99, mean * math.log(100), rel_tol=0.08)
    assert e.success_rate == 1.0


def test_mmc_mean_matches_erlang_c():
    # M/M/3, lambda = 240/s, mu = 100/s per worker: W = C/(c mu - lambda) + 1/mu.
    s = build(
        [{"name": "q", "concurrency": 3, "serviceTime": {"dist": "exponential", "mean": "10ms"}}],
        entrypoints=[{"name": "web", "service": "q", "rate": "240/s"}],
        simulation={"duration": "600s", "warmup": "20s"},
    )
    e = entry(run_scenario(s))
    expected = 1000 * (erlang_c(3, 240, 100) / (300 - 240) + 1 / 100)
    assert math.isclose(e.latency_ms.mean, expected, rel_tol=0.06)


def test_random_split_over_replicas_is_independent_mm1():
    # An unmeshed client picks uniformly: each of 3 replicas is M/M/1 with lambda/3 = 60/s.
    s = build(
        [
            {
                "name": "q",
                "replicas": 3,
                "concurrency": 1,
                "serviceTime": {"dist": "exponential", "mean": "10ms"},
            }
        ],
        entrypoints=[{"name": "web", "service": "q", "rate": "180/s"}],
        simulation={"duration": "600s", "warmup": "20s"},
    )
    e = entry(run_scenario(s))
    assert math.isclose(e.latency_ms.mean, 1000 / (100 - 60), rel_tol=0.06)


def test_least_request_beats_random_split():
    # Same load; once the client is meshed, P2C least-request shortens queues.
    services = [
        {"name": "front", "serviceTime": "0ms", "concurrency": 1000, "calls": [{"to": "q"}]},
        {
            "name": "q",
            "replicas": 3,
            "concurrency": 1,
            "serviceTime": {"dist": "exponential", "mean": "10ms"},
        },
    ]
    s = build(
        services,
        entrypoints=[{"name": "web", "service": "front", "rate": "240/s"}],
        simulation={"duration": "300s", "warmup": "10s"},
        mesh={
            "profile": "custom",
            "proxy": {"latency": "0ms", "cpuPer1kRps": 0.2, "memoryMiB": 50},
        },
        rollout={"phases": [{"name": "front", "services": ["front"]}]},
    )
    r = run_scenario(s)
    random_split = entry(r, 0).latency_ms.mean
    p2c = entry(r, 1).latency_ms.mean
    assert math.isclose(random_split, 1000 / (100 - 80), rel_tol=0.1)
    assert p2c < 0.7 * random_split
