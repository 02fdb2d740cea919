"""Random streams are keyed by (client, destination, purpose): common random numbers.

Two phases that differ only in one host's retry policy must give bit-for-bit the same
numbers for a service that nothing couples to that host: no shared queue (ample
concurrency) and no shared random stream. A retry of x draws a back-off jitter, a
replica choice, proxy and network latencies and x's own service time and error; none of
these may come from a stream that also feeds the calls to y.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter

from meshsim import run_scenario
from models.distributions import Distribution
from tests.conftest import build

RETRY_X = {"host": "x", "retries": {"attempts": 3, "retryOn": ["5xx"]}}


def _phases() -> dict[str, Any]:
    return {
        "phases": [
            {"name": "mesh", "services": ["front", "x", "y", "z"], "gateway": True},
            {"name": "retry-x", "policies": [RETRY_X]},
        ]
    }


def _front(calls: list[dict[str, Any]]) -> dict[str, Any]:
    # ample concurrency: front's workers never queue, so x's retries cannot delay y's calls
    return {
        "name": "front",
        "concurrency": 10_000,
        "serviceTime": {"dist": "exponential", "mean": "1ms"},
        "calls": calls,
    }


def _pair(scenario) -> tuple[Any, Any]:
    result = run_scenario(scenario)
    return result.phases[1], result.phases[2]


def _edge(phase, src: str, dst: str) -> dict[str, Any]:
    (edge,) = [e for e in phase.edges if e.from_ == src and e.to == dst]
    return edge.model_dump()


def test_a_retry_policy_for_x_leaves_y_bit_for_bit_unchanged():
    services = [
        _front([{"parallel": [{"to": "x"}, {"to": "y"}]}]),
        {
            "name": "x",
            "replicas": 2,
            "concurrency": 10_000,
            "serviceTime": {"dist": "exponential", "mean": "3ms"},
            "errorRate": 0.2,
        },
        {
            "name": "y",
            "replicas": 2,
            "concurrency": 1,  # queues: which replica a call picks changes its latency
            "serviceTime": {"dist": "exponential", "mean": "4ms"},
        },
        {"name": "z", "serviceTime": "1ms"},
    ]
    before, after = _pair(
        build(
            services,
            rollout=_phases(),
            entrypoints=[{"name": "web", "service": "front", "rate": "50/s"}],
        )
    )
    # the policy took effect: x is retried (otherwise the comparison proves nothing)
    assert after.services["x"].attempts > before.services["x"].attempts
    assert before.services["x"].attempts == before.services["x"].calls
    assert after.services["y"].model_dump() == before.services["y"].model_dump()
    assert _edge(after, "front", "y") == _edge(before, "front", "y")


def test_no_shared_stream_couples_y_through_draws_or_a_shared_downstream():
    """Network, call probabilities, errors and a downstream both x and y call.

    front makes a probabilistic call after the parallel group, which it skips when the
    group fails, so x's retries change how many call-probability draws front makes;
    x and y both call z (ample concurrency), so x's retries change how often z serves.
    """
    services = [
        _front(
            [
                {"parallel": [{"to": "x"}, {"to": "y", "probability": 0.8}]},
                {"to": "z", "probability": 0.5},
            ]
        ),
        {
            "name": "x",
            "replicas": 3,
            "concurrency": 10_000,
            "serviceTime": {"dist": "lognormal", "median": "2ms", "p99": "10ms"},
            "errorRate": 0.3,
            "calls": [{"to": "z", "probability": 0.6}],
        },
        {
            "name": "y",
            "replicas": 2,
            "concurrency": 1,
            "serviceTime": {"dist": "exponential", "mean": "4ms"},
            "errorRate": 0.1,
            "calls": [{"to": "z", "count": 2}],
        },
        {
            "name": "z",
            "replicas": 2,
            "concurrency": 10_000,
            "serviceTime": {"dist": "gamma", "mean": "2ms", "cv": 0.7},
            "errorRate": 0.05,
        },
    ]
    before, after = _pair(
        build(
            services,
            rollout=_phases(),
            entrypoints=[{"name": "web", "service": "front", "rate": "50/s", "client": "gateway"}],
            simulation={
                "networkLatency": {"dist": "exponential", "mean": "0.5ms"},
                "replications": 2,
            },
        )
    )
    assert after.services["x"].attempts > before.services["x"].attempts
    assert after.services["z"].calls != before.services["z"].calls  # z's load did change
    assert after.services["y"].model_dump() == before.services["y"].model_dump()
    assert _edge(after, "front", "y") == _edge(before, "front", "y")
    assert _edge(after, "y", "z") == _edge(before, "y", "z")


DISTRIBUTIONS = [
    {"dist": "exponential", "mean": "2ms"},
    {"dist": "uniform", "low": "1ms", "high": "3ms"},
    {"dist": "lognormal", "median": "1ms", "p99": "5ms"},
    {"dist": "gamma", "mean": "3ms", "cv": 0.5},
    {"dist": "empirical", "samples": ["1ms", "2ms", "7ms"]},
]


@pytest.mark.parametrize("spec", DISTRIBUTIONS, ids=lambda d: d["dist"])
def test_block_sizes_never_change_a_streams_numbers(monkeypatch, spec):
    """A stream's draws are its SFC64 sequence: how many are drawn at once is invisible.

    The first block is small (a link of a large graph draws a few times a run) and the
    next ones larger; numbers drawn one block at a time, interleaved with another
    stream's in the shared generator, equal those of one long block.
    """
    from meshsim.sim import sampling

    dist = TypeAdapter(Distribution).validate_python(spec)
    streams = sampling.Streams(9, 2)
    a, b = streams.sampler(dist, "service-time", "p>q"), streams.sampler(dist, "x", "y")
    pairs = [(a(), b()) for _ in range(700)]
    monkeypatch.setattr(sampling, "FIRST_BLOCK", 1024)
    monkeypatch.setattr(sampling, "BLOCK", 1024)
    alone = sampling.Streams(9, 2)
    once_a = alone.sampler(dist, "service-time", "p>q")
    once_b = alone.sampler(dist, "x", "y")
    assert [x for x, _ in pairs] == [once_a() for _ in range(700)]
    assert [y for _, y in pairs] == [once_b() for _ in range(700)]
    assert len({x for x, _ in pairs}) > (2 if spec["dist"] == "empirical" else 600)
