"""Linkerd is not Istio (issue 16, SPEC §10.1): no default retries, peak-EWMA p2c over two
different ready replicas, and a ratio retry budget.

Sources (docs/envoy.md cites them): linkerd2-proxy ``linkerd/pool/p2c`` (distinct pair of
ready endpoints), tower ``load/peak_ewma.rs`` (cost = RTT estimate × (pending + 1),
default RTT 30 ms, decay 10 s) and ``retry/budget/tps_budget.rs`` (Linkerd's budget).
"""

from __future__ import annotations

import pytest

from tests.meshsim.sim.fidelity import chain, erlang_b, per_call, run

LINKERD = "profile: linkerd\nproxy: {latency: 0ms}\n"

# a gRPC server with one worker and no queue: a request that finds it busy gets 503
# (gRPC UNAVAILABLE), which Istio's default `unavailable` token retries
BUSY_GRPC = "replicas: 1, concurrency: 1, queueLimit: 0, serviceTime: 10ms, protocol: grpc"


def test_linkerd_makes_no_retries_unless_a_policy_asks():
    # 50 calls/s of 10 ms on one worker with no queue: an M/D/1/1 loss system
    p = run(chain(BUSY_GRPC, rate="50/s", arrival="poisson"), profile=LINKERD, warmup="5s")
    assert per_call(p, "a") == 1.0
    assert p.entrypoints["web"].success_rate == pytest.approx(1 - erlang_b(1, 0.5), abs=0.02)


def test_linkerd_retries_what_a_policy_marks_retryable():
    p = run(
        chain(BUSY_GRPC, rate="50/s", arrival="poisson"),
        "policies: [{host: a, retries: {attempts: 2, retryOn: [unavailable]}}]",
        profile=LINKERD,
        warmup="5s",
    )
    assert per_call(p, "a") > 1.1


def test_linkerd_never_picks_a_replica_that_refuses_connections():
    # one replica of three is down: it is not ready, so the balancer never tries it
    p = run(
        chain("replicas: 3, serviceTime: 0ms", faults="[{service: a, type: outage, replicas: 1}]"),
        profile=LINKERD,
    )
    assert per_call(p, "a") == 1.0
    assert p.entrypoints["web"].success_rate == 1.0


def test_linkerd_peak_ewma_avoids_a_slowed_replica():
    # replica 0 answers 500 ms late and the caller gives up after 300 ms. Its first
    # answer sets its RTT estimate to ~510 ms (the peak); p2c compares two different
    # replicas, so it is passed over until the estimate decays below the others' (~39 s):
    # a handful of slow calls in the run, where least-request with replacement sends it
    # about one call in nine
    p = run(
        chain(
            "replicas: 3, concurrency: 100, serviceTime: 10ms",
            rate="100/s",
            arrival="poisson",
            faults="[{service: a, type: latency, delay: 500ms, replicas: 1}]",
            call="{to: a, timeout: 300ms}",
        ),
        profile=LINKERD,
        warmup="5s",
    )
    assert p.entrypoints["web"].success_rate > 0.99


# Linkerd's budget (tower TpsBudget, linkerd2-proxy http/retry.rs): a response that is
# not retryable deposits 1, a retry withdraws 1/ratio, and minPerSecond · ttl retries are
# always allowed; a retryable failure deposits nothing, retried or not. So over any ttl,
# retries <= minPerSecond · ttl + ratio · (non-retryable responses).
LINKERD_BUDGET = (
    "defaults: {retries: {attempts: 2, retryOn: [5xx],"
    " budget: {ratio: 0.2, minPerSecond: 10, ttl: 10s}}}"
)


def test_linkerd_budget_of_an_always_failing_service_is_min_per_second():
    # no try succeeds: nothing is deposited, 10 retries/s of 100 calls/s
    p = run(
        chain("replicas: 1, serviceTime: 0ms, errorRate: 1.0", rate="100/s"),
        LINKERD_BUDGET,
        profile=LINKERD,
        duration="120s",
    )
    a = p.services["a"]
    assert a.retries / a.calls == pytest.approx(0.1, abs=0.01)


def test_linkerd_budget_grows_with_the_requests_that_succeed():
    # half the tries fail; every failure wants a retry (more than the budget allows). With
    # R retries/s: oks/s = 50 + R/2, and R = 10 + 0.2 · oks/s, so R = 20 / 0.9 per 100 calls
    p = run(
        chain("replicas: 1, serviceTime: 0ms, errorRate: 0.5", rate="100/s"),
        LINKERD_BUDGET,
        profile=LINKERD,
        duration="120s",
    )
    a = p.services["a"]
    assert a.retries / a.calls == pytest.approx(20 / 0.9 / 100, abs=0.015)
