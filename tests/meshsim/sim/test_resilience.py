"""Envoy/Istio resilience facts with exact counts (SPEC §10.5-§10.8)."""

from __future__ import annotations

import random

import pytest
import simpy

from meshsim import run_scenario
from meshsim.sim.clientview import ClientView, may_eject
from meshsim.sim.compile import OutlierRT, PolicyRT
from meshsim.sim.outcomes import Outcome, retry_mask
from tests.conftest import build

ZERO_PROXY = {"profile": "custom", "proxy": {"latency": "0ms", "cpuPer1kRps": 0.2, "memoryMiB": 50}}


def meshed(services, mesh=None, faults=(), rate="10/s", **top):
    """All services meshed in phase 1; a gateway entry client (meshed too)."""
    names = [s["name"] for s in services]
    s = build(
        services,
        entrypoints=[
            {
                "name": "web",
                "service": names[0],
                "rate": rate,
                "arrival": "constant",
                "client": top.pop("client", "gateway"),
            }
        ],
        mesh={**ZERO_PROXY, **(mesh or {})},
        faults=list(faults),
        rollout={"phases": [{"name": "all", "services": names, **top.pop("phase", {})}]},
        **top,
    )
    return run_scenario(s, phase_indexes=[1]).phases[0]


def per_call(phase, name):
    svc = phase.services[name]
    return svc.attempts / svc.calls


def test_no_retry_policy_means_one_attempt():
    p = meshed([{"name": "a", "errorRate": 1.0}], mesh={"defaults": {"retries": "none"}})
    assert per_call(p, "a") == 1.0


def test_istio_defaults_three_attempts_on_refused_connection_one_on_500():
    refused = meshed([{"name": "a"}], faults=[{"service": "a", "type": "outage"}])
    assert per_call(refused, "a") == 3.0
    error = meshed([{"name": "a", "errorRate": 1.0}])
    assert per_call(error, "a") == 1.0


@pytest.mark.parametrize("attempts", [0, 1, 4])
def test_attempts_n_means_at_most_n_plus_one_tries(attempts):
    p = meshed(
        [{"name": "a", "errorRate": 1.0}],
        mesh={"defaults": {"retries": {"attempts": attempts, "retryOn": ["5xx"]}}},
    )
    assert per_call(p, "a") == attempts + 1


def test_three_meshed_layers_of_three_tries_give_27_attempts_at_the_leaf():
    services = [
        {"name": "a", "serviceTime": "0ms", "calls": [{"to": "b"}]},
        {"name": "b", "serviceTime": "0ms", "calls": [{"to": "c"}]},
        {"name": "c", "serviceTime": "0ms", "calls": [{"to": "d"}]},
        {"name": "d", "serviceTime": "0ms", "errorRate": 1.0},
    ]
    # the entry client is external: three meshed client layers (a, b, c) retry
    p = meshed(
        services,
        client="external",
        mesh={"defaults": {"retries": {"attempts": 2, "retryOn": ["5xx"]}}},
    )
    calls_into_b = p.services["b"].calls
    assert p.services["d"].attempts == 27 * calls_into_b
    assert p.retry_amplification > 1


@pytest.mark.parametrize(
    "tokens, tries",
    [(["5xx"], 3), (["connect-failure"], 1), (["gateway-error"], 3), (["reset"], 3)],
)
def test_per_try_timeout_retried_under_5xx_not_connect_failure(tokens, tries):
    p = meshed(
        [{"name": "a", "serviceTime": "100ms", "concurrency": 100}],
        mesh={"defaults": {"retries": {"attempts": 2, "perTryTimeout": "20ms", "retryOn": tokens}}},
    )
    assert per_call(p, "a") == tries
    assert p.entrypoints["web"].success_rate == 0.0


def test_route_timeout_ends_the_call_and_starts_no_new_try():
    p = meshed(
        [{"name": "a", "serviceTime": "100ms", "concurrency": 100}],
        mesh={
            "defaults": {
                "timeout": "50ms",
                "retries": {
                    "attempts": 5,
                    "perTryTimeout": "30ms",
                    "retryOn": ["5xx"],
                    "backoff": {"base": "1ms", "max": "1ms"},
                },
            }
        },
    )
    e = p.entrypoints["web"]
    assert e.latency_ms.max == pytest.approx(50.0)
    # tries start at 0 and ~31 ms; the third would start after 61 ms > 50 ms
    assert per_call(p, "a") == 2


class _Pod:
    down = 0  # a stand-in replica: always accepts connections


def _view(mode_doc=False, outlier=None, replicas=1, budget=None, max_retries=None):
    env = simpy.Environment()
    policy = PolicyRT(
        None,
        6,
        None,
        frozenset(),
        0.025,
        0.25,
        mode_doc,
        budget,
        3,
        max_retries,
        None,
        None,
        None,
        OutlierRT(*outlier) if outlier else None,
    )
    ejections: list[int] = []
    view = ClientView(
        env,
        policy,
        [_Pod()] * replicas,
        random.Random(5),
        random.Random(6),
        lambda: ejections.append(1),
    )
    return env, view, ejections


# threshold, interval, base ejection, max ejection %, alwaysEjectOneHost
OD = (5, 10.0, 30.0, 100.0, False)


@pytest.mark.parametrize("doc", [False, True])
def test_backoff_draws_stay_in_range_and_have_the_right_mean(doc):
    _, view, _ = _view(mode_doc=doc)
    for retry in range(1, 7):
        upper = min(((2**retry - 1) if doc else 2 ** (retry - 1)) * 0.025, 0.25)
        draws = [view.backoff(retry) for _ in range(20000)]
        assert 0 <= min(draws) and max(draws) < upper
        assert sum(draws) / len(draws) == pytest.approx(upper / 2, rel=0.03)


def test_fifth_consecutive_error_ejects_fourth_does_not():
    env, view, ejections = _view(outlier=OD, replicas=2)
    for _ in range(4):
        view.record(0, True)
    assert not view.ejected[0]
    view.record(1, False)
    view.record(0, True)
    assert view.ejected[0] and len(ejections) == 1


def test_an_ok_resets_the_consecutive_count():
    _, view, _ = _view(outlier=OD, replicas=2)
    for _ in range(4):
        view.record(0, True)
    view.record(0, False)
    for _ in range(4):
        view.record(0, True)
    assert not view.ejected[0]


def _returns_at(env, view, replica):
    """Step to each interval tick until ``replica`` is back; the tick it returned at."""
    while view.ejected[replica]:
        env.run(until=view.next_tick)
        view.pick([])
    return env.now


def test_ejection_times_grow_30_60_90_and_return_on_interval_ticks():
    env, view, _ = _view(outlier=(1, 10.0, 30.0, 100.0, False), replicas=2)
    lengths = []
    for _ in range(3):
        env.run(until=env.now + 3.0)  # ejected off-tick, 3 s after each return
        start = env.now
        view.record(0, True)
        back = _returns_at(env, view, 0)
        assert back % 10.0 == 0  # returns on an interval tick
        lengths.append(back - start)
    # each re-ejection comes before a clean tick, so the multiplier has not decayed
    assert [round(x) for x in lengths] == [30 + 7, 60 + 7, 90 + 7]


def test_multiplier_decays_one_per_clean_interval():
    # outlier_detection_impl.cc onIntervalTimer: a host not ejected, returned at least an
    # interval ago, loses one step of its ejection-time multiplier at each tick
    env, view, _ = _view(outlier=(1, 10.0, 30.0, 100.0, False), replicas=2)
    for _ in range(2):
        view.record(0, True)
        _returns_at(env, view, 0)
    # ejected at 0 s (x1, back at 30 s), again at once (x2, back at 90 s)
    assert view.multiplier[0] == 2 and env.now == 90.0
    env.run(until=100.0)
    view.pick([])
    assert view.multiplier[0] == 1  # the 100 s tick: clean for one interval
    env.run(until=105.0)
    view.record(0, True)
    assert view.multiplier[0] == 2  # 30 s × 2, not × 3
    assert _returns_at(env, view, 0) == 170.0  # 105 + 60 = 165 -> the 170 s tick


def test_ejection_never_exceeds_300_seconds():
    env, view, _ = _view(outlier=(1, 10.0, 200.0, 100.0, False), replicas=2)
    view.record(0, True)
    _returns_at(env, view, 0)
    start = env.now
    view.record(0, True)
    assert _returns_at(env, view, 0) - start == 300.0


def test_ejection_cap_counts_the_replica_to_eject():
    # Envoy >= 1.27: eject only if 100 * (ejected + 1) / replicas <= maxEjectionPercent
    assert [may_eject(0, n, 10, False) for n in (3, 9, 10, 15, 100)] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert [may_eject(k, 100, 10, False) for k in (9, 10)] == [True, False]
    assert may_eject(0, 3, 10, True) and not may_eject(1, 3, 10, True)
    assert may_eject(0, 1, 100, False) and not may_eject(0, 3, 0, False)


def test_a_refused_ejection_restarts_the_count():
    # onConsecutiveErrorWorker resets the counter after ejectHost, whatever it decided
    _, view, ejections = _view(outlier=(5, 10.0, 30.0, 10.0, False), replicas=3)
    for _ in range(7):
        view.record(0, True)
    assert not ejections and view.consecutive[0] == 2


def test_the_count_restarts_when_a_replica_returns():
    env, view, _ = _view(outlier=(2, 10.0, 30.0, 100.0, False), replicas=2)
    view.record(0, True)
    view.record(0, True)  # ejected, count back to 0
    view.record(0, True)  # a try still in flight when it was ejected
    assert view.ejected[0] and view.consecutive[0] == 1
    _returns_at(env, view, 0)
    assert view.consecutive[0] == 0


def test_all_ejected_means_no_healthy_replica():
    _, view, _ = _view(outlier=(1, 10.0, 30.0, 100.0, False), replicas=1)
    view.record(0, True)
    assert view.pick([]) is None


def test_outlier_detection_ejects_a_failing_replica_in_the_engine():
    p = meshed(
        [
            {"name": "a", "serviceTime": "0ms", "calls": [{"to": "b"}]},
            {"name": "b", "replicas": 3, "serviceTime": "1ms"},
        ],
        faults=[{"service": "b", "type": "error", "errorRate": 1.0, "replicas": 1}],
        # Istio's default 10% never ejects one of 3 replicas; 34% allows one
        mesh={"defaults": {"retries": "none", "outlierDetection": {"maxEjectionPercent": 34}}},
        rate="50/s",
    )
    assert p.services["b"].ejections >= 1
    # one replica of three fails until ejected: far fewer failures than a third
    assert p.entrypoints["web"].success_rate > 0.95


def test_overflow_is_never_retried():
    p = meshed(
        [
            {"name": "a", "serviceTime": "0ms", "calls": [{"to": "b"}]},
            {"name": "b", "serviceTime": "150ms", "concurrency": 100},
        ],
        mesh={
            "defaults": {
                "retries": {"attempts": 3, "retryOn": ["5xx"]},
                "connectionPool": {"maxConnections": 1, "maxPendingRequests": 0},
            }
        },
        rate="10/s",
        client="external",
    )
    b = p.services["b"]
    # one connection, nothing pending: every other call overflows at a's proxy ...
    assert b.rejected == pytest.approx(b.calls / 2, abs=1)
    assert p.entrypoints["web"].success_rate == pytest.approx(0.5, abs=0.01)
    # ... and not one of them is retried, though retryOn 5xx would retry a 503
    assert b.attempts == b.calls


def test_retry_budget_limits_concurrent_retries():
    _, view, _ = _view(budget=20.0)
    view.active = 30
    view.active_retries = 5
    assert view.retry_allowed()  # max(floor(0.2*30)=6, 3)
    view.active_retries = 6
    assert not view.retry_allowed()
    _, capped, _ = _view(max_retries=2)
    capped.active_retries = 2
    assert not capped.retry_allowed()


def test_retry_tokens_table():
    names = ("ok", "error", "unavailable", "timeout", "reset", "connect-failure", "overflow")

    def outcomes(tokens, codes=(), grpc=False):
        return {names[o] for o in retry_mask(list(tokens), list(codes), grpc)}

    assert outcomes(["5xx"]) == {"error", "unavailable", "timeout", "reset", "connect-failure"}
    assert outcomes(["gateway-error"]) == {"unavailable", "timeout", "reset", "connect-failure"}
    assert outcomes(["reset"]) == {"reset", "connect-failure", "timeout"}
    assert outcomes(["connect-failure"]) == {"connect-failure"}
    # a local per-try timeout is no 504 response: retriable-status-codes never retries it
    assert outcomes(["retriable-status-codes"], [500, 504]) == {"error"}
    assert outcomes(["retriable-status-codes"], [503]) == {"unavailable"}
    assert outcomes(["unavailable"]) == set()
    assert outcomes(["unavailable"], grpc=True) == {"unavailable"}
    assert outcomes(["cancelled", "refused-stream", "retriable-4xx"]) == set()
    # gRPC tokens read grpc-status, which an http server does not send
    grpc_tokens = ["internal", "cancelled", "deadline-exceeded", "resource-exhausted"]
    assert outcomes(grpc_tokens) == set()
    # a grpc server answers :status 200 with grpc-status INTERNAL (error) or UNAVAILABLE
    # (unavailable): the :status tokens keep only what they retry from a reset
    assert outcomes(["5xx"], grpc=True) == {"timeout", "reset", "connect-failure"}
    assert outcomes(["gateway-error"], grpc=True) == {"timeout", "reset", "connect-failure"}
    assert outcomes(["retriable-status-codes"], [500, 503], grpc=True) == set()
    assert outcomes(["reset"], grpc=True) == {"reset", "connect-failure", "timeout"}
    assert outcomes(["internal"], grpc=True) == {"error"}
    assert outcomes(["cancelled", "deadline-exceeded", "resource-exhausted"], grpc=True) == set()
    assert outcomes(["5xx", "internal", "unavailable"], grpc=True) == {
        "error",
        "unavailable",
        "timeout",
        "reset",
        "connect-failure",
    }
    assert {
        Outcome.ERROR,
        Outcome.UNAVAILABLE,
        Outcome.TIMEOUT,
        Outcome.CONNECT_FAILURE,
    } <= retry_mask(["5xx"], [], False)


@pytest.mark.parametrize(
    "protocol, tokens, tries",
    [
        ("http", ["5xx"], 3),  # a 500 response
        ("grpc", ["5xx"], 1),  # 200 + grpc-status INTERNAL: no 5xx to match
        ("grpc", ["gateway-error"], 1),
        ("grpc", ["unavailable"], 1),  # INTERNAL is not UNAVAILABLE
        ("grpc", ["internal"], 3),
        ("http", ["internal"], 1),  # no grpc-status from an http server
    ],
)
def test_grpc_errors_are_retried_by_grpc_status_tokens_not_5xx(protocol, tokens, tries):
    p = meshed(
        [{"name": "a", "errorRate": 1.0, "protocol": protocol}],
        mesh={"defaults": {"retries": {"attempts": 2, "retryOn": tokens}}},
    )
    assert per_call(p, "a") == tries
    assert p.entrypoints["web"].success_rate == 0.0


@pytest.mark.parametrize("tokens, tries", [(["5xx"], 3), (["internal", "unavailable"], 1)])
def test_resets_of_a_grpc_server_are_retried_by_5xx_not_by_grpc_tokens(tokens, tries):
    # a per-try timeout resets the stream: no grpc-status is ever read
    p = meshed(
        [{"name": "a", "serviceTime": "100ms", "concurrency": 100, "protocol": "grpc"}],
        mesh={"defaults": {"retries": {"attempts": 2, "perTryTimeout": "20ms", "retryOn": tokens}}},
    )
    assert per_call(p, "a") == tries


@pytest.mark.parametrize("mode, success", [("STRICT", 0.0), ("PERMISSIVE", 1.0)])
def test_plaintext_caller_to_strict_server_fails(mode, success):
    s = build(
        [
            {"name": "a", "serviceTime": "0ms", "calls": [{"to": "b"}]},
            {"name": "b", "serviceTime": "1ms"},
        ],
        entrypoints=[{"name": "web", "service": "a", "rate": "10/s"}],
        rollout={
            "phases": [
                {
                    "name": "b",
                    "services": ["b"],
                    "mtls": [{"scope": "service", "name": "b", "mode": mode}],
                }
            ]
        },
    )
    p = run_scenario(s, phase_indexes=[1]).phases[0]
    assert p.entrypoints["web"].success_rate == success
    assert (p.breakages > 0) == (mode == "STRICT")
    assert p.mtls_coverage == 0.0


def test_mtls_precedence_service_over_namespace_over_mesh():
    s = build(
        [
            {"name": "a", "serviceTime": "0ms", "calls": [{"to": "b"}, {"to": "c"}]},
            {"name": "b", "serviceTime": "1ms", "namespace": "pay"},
            {"name": "c", "serviceTime": "1ms", "namespace": "pay"},
        ],
        entrypoints=[{"name": "web", "service": "a", "rate": "10/s"}],
        rollout={
            "phases": [
                {
                    "name": "p1",
                    "services": ["b", "c"],
                    "mtls": [
                        {"scope": "mesh", "mode": "STRICT"},
                        {"scope": "namespace", "name": "pay", "mode": "PERMISSIVE"},
                        {"scope": "service", "name": "c", "mode": "STRICT"},
                    ],
                }
            ]
        },
    )
    p = run_scenario(s, phase_indexes=[1]).phases[0]
    edges = {(e.from_, e.to): e for e in p.edges}
    assert edges[("a", "b")].breakages == 0
    assert edges[("a", "c")].breakages == edges[("a", "c")].attempts > 0


def test_a_failed_required_call_makes_the_caller_answer_500():
    # b refuses connections: a's proxy tries b 3 times (connect-failure), then a answers
    # 500, which the gateway's default retryOn (no 5xx) does not retry.
    p = meshed(
        [{"name": "a", "serviceTime": "0ms", "calls": [{"to": "b"}]}, {"name": "b"}],
        faults=[{"service": "b", "type": "outage"}],
    )
    assert per_call(p, "a") == 1.0
    assert per_call(p, "b") == 3.0
    assert p.services["a"].errors == p.services["a"].calls
