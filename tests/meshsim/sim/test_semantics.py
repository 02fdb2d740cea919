"""Deterministic semantics of SPEC §10.2-§10.4 and §8: exact latencies and outcomes."""

from __future__ import annotations

import math

import pytest

from meshsim import run_scenario
from tests.conftest import build

CONST = {"arrival": "constant"}
HALF_MS_PROXY = {
    "profile": "custom",
    "proxy": {"latency": "0.5ms", "cpuPer1kRps": 0.2, "memoryMiB": 50},
}


def web(service: str, rate: str = "10/s", **extra):
    return [{"name": "web", "service": service, "rate": rate, **CONST, **extra}]


def entry(results, phase=0):
    return results.phases[phase].entrypoints["web"]


CHAIN = [
    {"name": "a", "serviceTime": "1ms", "calls": [{"to": "b"}]},
    {"name": "b", "serviceTime": "2ms", "calls": [{"to": "c"}]},
    {"name": "c", "serviceTime": "3ms"},
]


def test_constant_chain_latency_is_sum_of_times():
    e = entry(run_scenario(build(CHAIN, entrypoints=web("a"))))
    assert e.latency_ms.p50 == pytest.approx(6.0)
    assert e.latency_ms.max == pytest.approx(6.0)
    assert e.success_rate == 1.0


def test_constant_chain_adds_one_draw_per_proxy_traversal_and_network_each_way():
    s = build(
        CHAIN,
        entrypoints=web("a"),
        mesh=HALF_MS_PROXY,
        simulation={"networkLatency": "1ms"},
        rollout={"phases": [{"name": "all", "services": ["a", "b", "c"]}]},
    )
    r = run_scenario(s)
    # baseline: 6 ms work + 3 hops x 2 ways x 1 ms network
    assert entry(r, 0).latency_ms.max == pytest.approx(12.0)
    # meshed: external client -> a (a's sidecar: 1), a -> b (2), b -> c (2) = 5 x 0.5 ms
    assert entry(r, 1).latency_ms.max == pytest.approx(14.5)
    assert entry(r, 1).latency_ms.p50 == pytest.approx(14.5)


def test_parallel_group_waits_for_the_slowest_call():
    services = [
        {
            "name": "a",
            "serviceTime": "1ms",
            "calls": [{"parallel": [{"to": "b"}, {"to": "c"}]}, {"to": "b"}],
        },
        {"name": "b", "serviceTime": "5ms"},
        {"name": "c", "serviceTime": "8ms"},
    ]
    e = entry(run_scenario(build(services, entrypoints=web("a"))))
    assert e.latency_ms.max == pytest.approx(1 + 8 + 5)


@pytest.mark.parametrize("optional, success", [(True, 1.0), (False, 0.0)])
def test_optional_call_failure_does_not_fail_the_caller(optional, success):
    services = [
        {"name": "a", "serviceTime": "1ms", "calls": [{"to": "b", "optional": optional}]},
        {"name": "b", "serviceTime": "1ms", "errorRate": 1.0},
    ]
    r = run_scenario(build(services, entrypoints=web("a")))
    assert entry(r).success_rate == success
    assert r.phases[0].services["b"].errors == r.phases[0].services["b"].calls


def test_required_failure_stops_the_script():
    services = [
        {"name": "a", "serviceTime": "1ms", "calls": [{"to": "b"}, {"to": "c"}]},
        {"name": "b", "serviceTime": "1ms", "errorRate": 1.0},
        {"name": "c", "serviceTime": "1ms"},
    ]
    r = run_scenario(build(services, entrypoints=web("a")))
    assert r.phases[0].services["c"].calls == 0


def test_threads_hold_the_worker_async_does_not():
    # a has one worker and calls a slow b (100 ms); 20 requests/s arrive.
    def scenario(model):
        return build(
            [
                {
                    "name": "a",
                    "concurrency": 1,
                    "concurrencyModel": model,
                    "serviceTime": "1ms",
                    "calls": [{"to": "b"}],
                },
                {"name": "b", "concurrency": 100, "serviceTime": "100ms"},
            ],
            entrypoints=web("a", rate="20/s"),
            simulation={"duration": "10s"},
        )

    asynchronous = entry(run_scenario(scenario("async")))
    threads = entry(run_scenario(scenario("threads")))
    assert asynchronous.latency_ms.max == pytest.approx(101.0)
    # threads: a serves at most ~9.9 requests/s, so its queue grows for the whole run
    assert threads.latency_ms.p50 > 2000
    assert threads.latency_ms.max > 8000


def test_probability_and_count():
    services = [
        {
            "name": "a",
            "serviceTime": "0ms",
            "calls": [{"to": "b", "probability": 0.3}, {"to": "c", "count": 3}],
        },
        {"name": "b", "serviceTime": "0ms"},
        {"name": "c", "serviceTime": "0ms"},
    ]
    r = run_scenario(
        build(services, entrypoints=web("a", rate="100/s"), simulation={"duration": "100s"})
    )
    p = r.phases[0]
    requests = entry(r).requests
    assert p.services["c"].calls == 3 * requests
    # binomial(10000, 0.3): sd = 46; 4 sd tolerance
    assert abs(p.services["b"].calls - 0.3 * requests) < 4 * math.sqrt(requests * 0.21)


def test_probability_inside_a_parallel_group_is_drawn_once():
    services = [
        {
            "name": "a",
            "serviceTime": "0ms",
            "calls": [{"parallel": [{"to": "b", "probability": 0.5}, {"to": "c"}]}],
        },
        {"name": "b", "serviceTime": "0ms"},
        {"name": "c", "serviceTime": "0ms"},
    ]
    r = run_scenario(
        build(services, entrypoints=web("a", rate="100/s"), simulation={"duration": "100s"})
    )
    p = r.phases[0]
    requests = entry(r).requests
    assert p.services["c"].calls == requests
    # binomial(10000, 0.5): sd = 50; 4 sd tolerance (a second draw would give 0.25)
    assert abs(p.services["b"].calls - 0.5 * requests) < 4 * math.sqrt(requests * 0.25)


def test_queue_limit_rejects_with_unavailable():
    services = [{"name": "a", "concurrency": 1, "queueLimit": 0, "serviceTime": "150ms"}]
    r = run_scenario(build(services, entrypoints=web("a", rate="10/s")))
    # every other request finds the single worker busy and no room to wait
    assert entry(r).success_rate == pytest.approx(0.5, abs=0.01)
    assert r.phases[0].services["a"].rejected > 0


def test_max_depth_ends_with_error():
    services = [
        {"name": "a", "serviceTime": "0ms", "calls": [{"to": "b"}]},
        {"name": "b", "serviceTime": "0ms", "calls": [{"to": "a", "probability": 0.999999}]},
    ]
    r = run_scenario(build(services, entrypoints=web("a"), simulation={"maxDepth": 5}))
    assert entry(r).success_rate == 0.0
    assert r.phases[0].services["a"].calls + r.phases[0].services["b"].calls == pytest.approx(
        6 * entry(r).requests
    )


def test_app_timeout_and_retries_multiply_attempts():
    services = [
        {
            "name": "a",
            "serviceTime": "0ms",
            "calls": [{"to": "b", "timeout": "50ms", "retries": 2, "retryBackoff": "10ms"}],
        },
        {"name": "b", "serviceTime": "100ms", "concurrency": 1000},
    ]
    r = run_scenario(build(services, entrypoints=web("a")))
    e = entry(r)
    assert e.success_rate == 0.0
    assert e.latency_ms.max == pytest.approx(3 * 50 + 2 * 10)
    assert r.phases[0].services["b"].attempts == 3 * e.requests


def _deep_chain(levels: int, last: dict | None = None) -> list[dict]:
    chain = [
        {"name": f"s{i}", "serviceTime": "1ms", "calls": [{"to": f"s{i + 1}"}]}
        for i in range(levels - 1)
    ]
    return [*chain, {"name": f"s{levels - 1}", "serviceTime": "1ms", **(last or {})}]


@pytest.mark.parametrize("levels", [15, 16, 17, 40])
def test_a_chain_deeper_than_one_stack_keeps_exact_latency_and_outcomes(levels):
    """Every 16 levels a server's work runs as its own process (engine.STACK_LEVELS).

    Across those boundaries, meshed or not, latency stays the exact sum of the hops and
    a failure at the bottom still fails the entry request.
    """
    services = _deep_chain(levels)
    names = [s["name"] for s in services]
    phases = {"phases": [{"name": "all", "services": names}]}
    sim = {"maxDepth": 64}
    r = run_scenario(
        build(services, entrypoints=web("s0"), mesh=HALF_MS_PROXY, rollout=phases, simulation=sim)
    )
    assert entry(r, 0).latency_ms.max == pytest.approx(levels * 1.0)
    # meshed: the entry hop passes s0's sidecar once, every other hop two sidecars
    assert entry(r, 1).latency_ms.p50 == pytest.approx(levels * 1.0 + (2 * levels - 1) * 0.5)
    assert entry(r, 0).success_rate == entry(r, 1).success_rate == 1.0
    failing = _deep_chain(levels, {"errorRate": 1.0})
    r = run_scenario(build(failing, entrypoints=web("s0"), simulation=sim))
    assert entry(r).success_rate == 0.0 and entry(r).requests > 0


def test_max_depth_still_cuts_a_chain_deeper_than_one_stack():
    services = _deep_chain(40)
    cut = run_scenario(build(services, entrypoints=web("s0"), simulation={"maxDepth": 39}))
    fits = run_scenario(build(services, entrypoints=web("s0"), simulation={"maxDepth": 40}))
    assert entry(cut).success_rate == 0.0
    assert entry(fits).success_rate == 1.0
