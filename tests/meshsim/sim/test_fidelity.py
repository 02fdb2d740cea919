"""Envoy and Istio as they are today (issue 16, SPEC §10.1 and §10.5-§10.7).

Each test runs a small scenario through the public API and checks an exact count, or a
rate against an exact answer (Erlang's loss formula, a uniform split) with a stated
tolerance. The Envoy/Istio source each rule follows is cited in docs/envoy.md.

Topology unless said otherwise: an unmeshed external client -> ``c`` (meshed client,
no work of its own) -> ``a``; proxies and network add no latency.
"""

from __future__ import annotations

import pytest

from tests.meshsim.sim.fidelity import chain, erlang_b, per_call, run

ONE_BAD_OF_THREE = "[{service: a, type: error, errorRate: 1.0, replicas: 1}]"

# --- §10.7 ejection cap (Envoy >= 1.27 outlier_detection_impl.cc ejectHost) -------------


def test_istio_ten_percent_cap_never_ejects_one_of_three_replicas():
    # 100 * (0 + 1) / 3 = 33% > 10%: the failing replica keeps its third of the traffic;
    # Istio's default retryOn does not retry a 500, so a third of the calls fail
    p = run(
        chain("replicas: 3, serviceTime: 0ms", faults=ONE_BAD_OF_THREE),
        "defaults: {outlierDetection: {consecutive5xxErrors: 5}}",
    )
    assert p.services["a"].ejections == 0
    assert p.entrypoints["web"].success_rate == pytest.approx(2 / 3, abs=0.02)


def test_always_eject_one_host_ejects_one_of_three_at_ten_percent():
    # ejected at ~0.05 s for 30 s (returns at the 40 s tick), ejected again at once for
    # 60 s: two ejections in the 60 s run, a handful of failed calls
    p = run(
        chain("replicas: 3, serviceTime: 0ms", faults=ONE_BAD_OF_THREE),
        "defaults: {outlierDetection: {consecutive5xxErrors: 5, alwaysEjectOneHost: true}}",
    )
    assert p.services["a"].ejections == 2
    assert p.entrypoints["web"].success_rate > 0.99


def test_ten_percent_of_fifteen_replicas_ejects_one_at_a_time():
    # 100 * (1 + 1) / 15 = 13% > 10%: with two failing replicas only one is out at a time,
    # so one failing replica of the 14 in rotation is always there: success 13/14
    p = run(
        chain(
            "replicas: 15, serviceTime: 0ms",
            faults="[{service: a, type: error, errorRate: 1.0, replicas: 2}]",
        ),
        "defaults: {outlierDetection: {consecutive5xxErrors: 5}}",
    )
    assert p.entrypoints["web"].success_rate == pytest.approx(13 / 14, abs=0.02)


# --- §10.6 connection pool (conn_pool_base.cc; circuit_breaking docs) ------------------

# 200 requests/s of 100 ms each: ~20 in flight (Little), Poisson arrivals
LOADED = "replicas: 1, concurrency: 1000, serviceTime: 100ms"


def test_max_requests_overflows_at_once_like_an_erlang_loss_system():
    # at most 10 active, the 11th ends at once with overflow (never retried): an M/D/10/10
    # loss system, blocking Erlang-B(10, 20) = 0.538; the ones served take 100 ms exactly
    p = run(
        chain(LOADED, rate="200/s", arrival="poisson"),
        "policies: [{host: a, connectionPool: {maxRequests: 10}}]",
        warmup="5s",
    )
    e = p.entrypoints["web"]
    assert e.success_rate == pytest.approx(1 - erlang_b(10, 20.0), abs=0.03)
    assert e.latency_ms.p99 == pytest.approx(100.0, abs=0.5)


def test_grpc_multiplexes_so_max_connections_does_not_limit_it():
    p = run(
        chain(LOADED + ", protocol: grpc", rate="200/s", arrival="poisson"),
        "policies: [{host: a, connectionPool: {maxConnections: 2}}]",
        warmup="5s",
    )
    e = p.entrypoints["web"]
    assert e.success_rate == 1.0
    assert e.latency_ms.p99 == pytest.approx(100.0, abs=0.5)


def test_http1_max_connections_with_no_pending_room_is_a_loss_system():
    # one request per HTTP/1.1 connection, 2 connections, no pending requests allowed:
    # Erlang-B(2, 20) = 200/221 of the calls overflow
    p = run(
        chain(LOADED, rate="200/s", arrival="poisson"),
        "policies: [{host: a, connectionPool: {maxConnections: 2, maxPendingRequests: 0}}]",
        warmup="5s",
    )
    assert p.entrypoints["web"].success_rate == pytest.approx(1 - erlang_b(2, 20.0), abs=0.02)


# --- §10.1 limits per client sidecar, not per client service -----------------------------


def test_each_client_replica_has_its_own_connection_pool():
    # 4 client replicas, each with its own maxRequests 10, each offered 5 Erlang
    p = run(
        chain(LOADED, clients=4, rate="200/s", arrival="poisson"),
        "policies: [{host: a, connectionPool: {maxRequests: 10}}]",
        warmup="5s",
    )
    e = p.entrypoints["web"]
    assert e.success_rate == pytest.approx(1 - erlang_b(10, 5.0), abs=0.015)
    assert e.latency_ms.p99 == pytest.approx(100.0, abs=0.5)


# Every first try fails after 10 ms (500, retried under 5xx); one retry allowed, with a
# 0-2.5 ms back-off. A retry holds the retry breaker from its decision through its
# back-off and its own try (retry_state_impl.cc: resetRetry runs at the next shouldRetry),
# so each sidecar is an M/G/1/1 loss system for retries with a mean hold of 11.25 ms.
RETRIED = "replicas: 1, concurrency: 1000, serviceTime: 10ms, errorRate: 1.0"
ONE_RETRY = "retries: {{attempts: 1, retryOn: [5xx], backoff: {{base: 2.5ms, max: 25ms}}{budget}}}"
LIMITS = {
    "maxRetries": ("connectionPool: {maxRetries: 1}, " + ONE_RETRY.format(budget="")),
    "budget": ONE_RETRY.format(budget=", budget: {percent: 0, minRetryConcurrency: 1}"),
}


@pytest.mark.parametrize("limit", sorted(LIMITS))
def test_retry_breaker_is_held_through_the_retried_try(limit):
    # 80 calls/s into one sidecar: offered 80 * 0.01125 = 0.9, blocking 0.9/1.9; held only
    # during the back-off it would be 0.1/1.1 and 1.91 attempts per call
    p = run(
        chain(RETRIED, rate="80/s", arrival="poisson"),
        f"defaults: {{{LIMITS[limit]}}}",
        warmup="5s",
    )
    assert per_call(p, "a") == pytest.approx(2 - erlang_b(1, 0.9), abs=0.03)


@pytest.mark.parametrize("limit", sorted(LIMITS))
def test_each_client_replica_has_its_own_retry_breaker(limit):
    # 4 sidecars of 20 calls/s each: offered 0.225 each, blocking 0.225/1.225
    p = run(
        chain(RETRIED, clients=4, rate="80/s", arrival="poisson"),
        f"defaults: {{{LIMITS[limit]}}}",
        warmup="5s",
    )
    assert per_call(p, "a") == pytest.approx(2 - erlang_b(1, 0.225), abs=0.03)


def test_each_client_replica_has_its_own_outlier_detector():
    # every sidecar sees the failing replica fail 5 times in a row by itself, ejects it for
    # 30 s and again at once after its return at the 40 s tick: 2 ejections per sidecar
    p = run(
        chain("replicas: 3, serviceTime: 0ms", clients=4, faults=ONE_BAD_OF_THREE),
        "defaults: {outlierDetection: {consecutive5xxErrors: 5, maxEjectionPercent: 50}}",
    )
    assert p.services["a"].ejections == 8


# --- §10.5 route timeouts (router.cc onResponseTimeout) ---------------------------------


def test_route_timeout_counts_as_a_504_of_the_replica_and_ejects_it():
    # replica 0 answers after 1 s, the route timeout is 100 ms: each try on it times out
    # and counts against it; ejected in the first second, and again after the 40 s tick
    p = run(
        chain(
            "replicas: 3, serviceTime: 0ms",
            faults="[{service: a, type: latency, delay: 1s, replicas: 1}]",
        ),
        "policies: [{host: a, timeout: 100ms,"
        " outlierDetection: {consecutive5xxErrors: 5, maxEjectionPercent: 50}}]",
    )
    assert p.services["a"].ejections == 2
    assert p.entrypoints["web"].success_rate > 0.99


def test_route_timeout_frees_the_pool_slot_at_once():
    # one request at a time (maxRequests 1), each takes 1 s, the route timeout is 100 ms and
    # a request comes every 200 ms: each finds the slot freed by the previous timeout
    p = run(
        chain("replicas: 1, concurrency: 100, serviceTime: 1s", rate="5/s"),
        "policies: [{host: a, timeout: 100ms,"
        " connectionPool: {maxRequests: 1, maxPendingRequests: 0}}]",
    )
    a = p.services["a"]
    assert a.rejected == 0
    assert a.timeouts == a.calls == a.attempts


# --- §10.5 retry tokens (retry_state_impl.cc wouldRetryFromReset) ------------------------

OUTAGE = "[{service: a, type: outage}]"


def test_gateway_error_retries_connect_failures():
    p = run(
        chain("replicas: 1, serviceTime: 0ms", faults=OUTAGE),
        "defaults: {retries: {attempts: 2, retryOn: [gateway-error]}}",
    )
    assert per_call(p, "a") == 3.0


def test_local_per_try_timeout_is_not_a_504_for_retriable_status_codes():
    # a per-try timeout resets the stream locally (router.cc onPerTryTimeoutCommon): it is
    # retried as a reset (5xx, gateway-error, reset), never as a 504 response
    p = run(
        chain("replicas: 1, concurrency: 100, serviceTime: 100ms"),
        "defaults: {retries: {attempts: 2, perTryTimeout: 20ms,"
        " retryOn: [retriable-status-codes], retriableStatusCodes: [504]}}",
    )
    assert per_call(p, "a") == 1.0
    assert p.entrypoints["web"].success_rate == 0.0


def test_no_healthy_upstream_is_never_retried():
    # the only replica fails, one failure ejects it (for 30 s, then 60 s); 503 is retried
    # under 5xx, but "no healthy upstream" is a local reply that is never retried. Only
    # the two calls whose first try is the ejecting failure make a second attempt.
    p = run(
        chain("replicas: 1, serviceTime: 0ms, errorRate: 1.0"),
        "defaults: {retries: {attempts: 2, retryOn: [5xx]},"
        " outlierDetection: {consecutive5xxErrors: 1, maxEjectionPercent: 100}}",
    )
    assert p.services["a"].ejections == 2
    assert p.services["a"].retries == 2


# --- §10.7 multiplier and consecutive counts (outlier_detection_impl.cc) ----------------


def test_ejection_multiplier_decays_one_per_clean_interval():
    # replica 0 fails during [0, 1 s) and from 70 s on. Ejected at ~0.05 s (x1, 30 s) it
    # returns at the 40 s tick; the 50 s tick finds it clean for an interval: x0. Ejected
    # at ~70 s for 30 s (x1, not 60 s), it returns at 110 s and is ejected again: 3.
    p = run(
        chain(
            "replicas: 3, serviceTime: 0ms",
            faults="[{service: a, type: error, errorRate: 1.0, replicas: 1, duration: 1s},"
            " {service: a, type: error, errorRate: 1.0, replicas: 1, start: 70s}]",
        ),
        "defaults: {outlierDetection: {consecutive5xxErrors: 5, interval: 10s,"
        " baseEjectionTime: 30s, maxEjectionPercent: 50}}",
        duration="130s",
    )
    assert p.services["a"].ejections == 3


def test_consecutive_count_restarts_when_an_ejected_replica_returns():
    # the only replica answers 500 after 1 s during [0, 20 s): ejected at its 5th failure,
    # the ~95 tries still in flight fail while it is ejected. It returns at the 40 s tick
    # with its count back at 0, so the 4 calls of a short failing window right after
    # (39.995-40.035 s) do not eject it again; a count carried over from the ejection
    # would eject it at the first of them
    p = run(
        chain(
            "replicas: 1, concurrency: 1000, serviceTime: 0ms",
            faults="[{service: a, type: latency, delay: 1s, duration: 20s},"
            " {service: a, type: error, errorRate: 1.0, duration: 20s},"
            " {service: a, type: error, errorRate: 1.0, start: 39.995s, duration: 40ms}]",
        ),
        "defaults: {outlierDetection: {consecutive5xxErrors: 5, maxEjectionPercent: 100}}",
    )
    assert p.services["a"].ejections == 1


# --- §10.1 tcp services and ambient waypoints ------------------------------------------


def test_tcp_services_get_no_retries():
    # Istio builds a tcp_proxy for a TCP port: no HTTP route, so no retry policy
    p = run(chain("replicas: 1, serviceTime: 0ms, protocol: tcp", faults=OUTAGE))
    assert per_call(p, "a") == 1.0


def test_tcp_services_get_no_route_timeout():
    p = run(
        chain("replicas: 1, concurrency: 100, serviceTime: 200ms, protocol: tcp", rate="10/s"),
        "policies: [{host: a, timeout: 50ms, retries: {perTryTimeout: 20ms}}]",
    )
    e = p.entrypoints["web"]
    assert e.success_rate == 1.0
    assert e.latency_ms.p50 == pytest.approx(200.0)


def test_tcp_max_connections_overflows_at_once():
    p = run(
        chain(LOADED + ", protocol: tcp", rate="200/s", arrival="poisson"),
        "policies: [{host: a, connectionPool: {maxConnections: 10}}]",
        warmup="5s",
    )
    e = p.entrypoints["web"]
    assert e.success_rate == pytest.approx(1 - erlang_b(10, 20.0), abs=0.03)
    assert e.latency_ms.p99 == pytest.approx(100.0, abs=0.5)


AMBIENT = "profile: istio-ambient\nproxy: {latency: 0ms}\n"


def test_ambient_waypoint_has_one_pool_for_all_callers():
    # 4 client replicas but one waypoint in front of a: one maxRequests 10 for all of them
    p = run(
        chain(LOADED, clients=4, rate="200/s", arrival="poisson", phase=", waypoints: [a]"),
        "policies: [{host: a, connectionPool: {maxRequests: 10}}]",
        profile=AMBIENT,
        warmup="5s",
    )
    e = p.entrypoints["web"]
    assert e.success_rate == pytest.approx(1 - erlang_b(10, 20.0), abs=0.03)
    assert e.latency_ms.p99 == pytest.approx(100.0, abs=2.0)  # + one waypoint traversal


def test_ambient_waypoint_has_one_outlier_view_for_all_callers():
    # two calling services, one waypoint: the failing replica is ejected by one detector,
    # twice in 60 s (not twice per caller)
    p = run(
        "services:\n"
        "  - {name: c1, concurrencyModel: async, serviceTime: 0ms, calls: [{to: a}]}\n"
        "  - {name: c2, concurrencyModel: async, serviceTime: 0ms, calls: [{to: a}]}\n"
        "  - {name: a, replicas: 3, serviceTime: 0ms}\n"
        "entrypoints:\n"
        "  - {name: w1, service: c1, rate: 50/s, arrival: constant, client: external}\n"
        "  - {name: w2, service: c2, rate: 50/s, arrival: constant, client: external}\n"
        f"faults: {ONE_BAD_OF_THREE}\n"
        "rollout: {phases: [{name: all, services: [c1, c2, a], waypoints: [a]}]}\n",
        "defaults: {outlierDetection: {consecutive5xxErrors: 5, maxEjectionPercent: 50}}",
        profile=AMBIENT,
    )
    assert p.services["a"].ejections == 2
