"""Faults of SPEC §8: outage, error, latency, crash."""

from __future__ import annotations

import math

import pytest

from meshsim import run_scenario
from tests.conftest import build

NO_RETRY = {"defaults": {"retries": {"attempts": 0}}}


def run(services, faults, rate="10/s", **top):
    s = build(
        services,
        entrypoints=[{"name": "web", "service": "a", "rate": rate, "arrival": "constant"}],
        faults=faults,
        **top,
    )
    return run_scenario(s).phases[0]


CALLS_B = [
    {"name": "a", "serviceTime": "1ms", "calls": [{"to": "b"}]},
    {"name": "b", "serviceTime": "1ms", "replicas": 2},
]


def test_outage_refuses_connections_during_its_window():
    p = run(CALLS_B, [{"service": "b", "type": "outage", "start": "5s", "duration": "10s"}])
    # 10 of 20 seconds: half the requests fail with connect-failure
    assert p.entrypoints["web"].success_rate == pytest.approx(0.5, abs=0.01)
    assert p.services["b"].rejected == pytest.approx(100, abs=1)


def test_outage_of_one_replica_hits_a_random_half():
    p = run(CALLS_B, [{"service": "b", "type": "outage", "replicas": 1}], rate="100/s")
    # each of the 2000 requests picks the dead replica with probability 1/2:
    # binomial sd = sqrt(0.25 / 2000) = 0.0112; 4 sd tolerance
    requests = p.entrypoints["web"].requests
    tolerance = 4 * math.sqrt(0.25 / requests)
    assert p.entrypoints["web"].success_rate == pytest.approx(0.5, abs=tolerance)


def test_error_fault_adds_error_probability():
    p = run(CALLS_B, [{"service": "b", "type": "error", "errorRate": 0.3}], rate="200/s")
    assert p.entrypoints["web"].success_rate == pytest.approx(0.7, abs=0.015)
    assert p.services["b"].errors == pytest.approx(0.3 * p.services["b"].calls, rel=0.05)


def test_latency_fault_adds_to_service_time():
    p = run(CALLS_B, [{"service": "b", "type": "latency", "delay": "10ms"}])
    assert p.entrypoints["web"].latency_ms.max == pytest.approx(12.0)
    p = run(
        CALLS_B,
        [{"service": "b", "type": "latency", "delay": "10ms", "probability": 0.25}],
        rate="100/s",
    )
    assert p.entrypoints["web"].latency_ms.mean == pytest.approx(2 + 0.25 * 10, abs=0.2)


def test_crash_resets_in_flight_requests_then_refuses():
    services = [
        {"name": "a", "serviceTime": "0ms", "calls": [{"to": "b"}]},
        {"name": "b", "serviceTime": "1s", "concurrency": 100},
    ]
    p = run(services, [{"service": "b", "type": "crash", "start": "10.05s", "duration": "5s"}])
    # requests that arrived in (9.05, 10.05] are in flight at the crash: 10 of them end
    # with reset; arrivals in [10.05, 15.05) are refused (connect-failure): 50.
    ok = p.entrypoints["web"].success_rate * p.entrypoints["web"].requests
    assert p.entrypoints["web"].requests - ok == pytest.approx(60, abs=1)
    assert p.services["b"].rejected == pytest.approx(50, abs=1)
    assert p.services["b"].errors == 0


def test_a_crashed_pod_is_not_busy_after_its_crash():
    # An overloaded single worker is busy all the time it is up: 1 s before the crash
    # and 1 s after the restart, nothing in between. The work it held when it crashed
    # used to keep counting on the dead pod while the restarted one worked too (ρ > 1).
    services = [{"name": "a", "serviceTime": "20ms", "concurrency": 1}]
    faults = [{"service": "a", "type": "crash", "start": "1s", "duration": "1s"}]
    r = run_scenario(
        build(services, faults=faults, entrypoints=[{"name": "web", "service": "a",
              "rate": "200/s"}], simulation={"duration": "3s"})
    )  # fmt: skip
    utilization = r.phases[0].services["a"].utilization
    # first arrival ~ Exp(200/s) late; at most 2 s of 3 busy
    assert 2 / 3 - 0.02 < utilization <= 2 / 3 + 1e-9
