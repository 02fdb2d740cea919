"""SPEC §20 in the engine: canaries, authorization, drills, clusters, cost.

Every expected value is derived by hand from the scenario (constant times, exact
counts), not read off a run.
"""

from __future__ import annotations

import textwrap

import pytest

from meshsim import parse_scenario, run_scenario
from models.results import Results

HEAD = (
    "metadata: {name: beyond}\nsimulation: {duration: 10s, warmup: 0s, seed: 5, replications: 1}\n"
)
PROXY_1MS = "mesh: {profile: custom, proxy: {latency: 1ms, cpuPer1kRps: 0.2, memoryMiB: 50}}\n"


def results(body: str, mesh: str = PROXY_1MS) -> Results:
    """Run every phase of a scenario given as YAML (services, entrypoints, rollout...)."""
    return run_scenario(parse_scenario(HEAD + textwrap.dedent(body) + mesh))


CANARY = """\
services:
  - {name: c, concurrencyModel: async, concurrency: 100000, serviceTime: 0ms, calls: [{to: a}]}
  - {name: a, replicas: 4, concurrency: 100000, serviceTime: 0ms}
entrypoints: [{name: web, service: c, rate: 100/s, arrival: constant}]
rollout:
  phases:
    - {name: canary-a, canary: {a: 0.3}}
    - {name: all-a, services: [a]}
"""


def test_canary_meshes_the_rounded_up_share_and_splits_the_metrics() -> None:
    res = results(CANARY)
    canary, full = res.phases[1], res.phases[2]
    # ceil(0.3 × 4) = 2 of a's 4 replicas get a sidecar; nothing else is meshed
    assert canary.canary == {"a": 0.3}
    assert canary.proxies == 2
    assert canary.proxy_memory_mi_b == 100.0
    a = canary.services["a"]
    assert a.meshed is not None and a.plain is not None
    assert (a.meshed.replicas, a.plain.replicas) == (2, 2)
    # c is plaintext: it picks among all four replicas, meshed and plain alike
    assert a.meshed.attempts + a.plain.attempts == a.attempts == a.calls
    assert a.meshed.attempts > 0 and a.plain.attempts > 0
    assert a.meshed.failures == a.plain.failures == 0
    # only the meshed replicas' inbound sidecar adds its 1 ms: mean = 1 ms × meshed share
    assert a.latency_ms.mean == pytest.approx(a.meshed.attempts / a.attempts, abs=1e-9)
    # a later phase that lists the service meshes all of it and ends the split
    assert full.canary is None and full.proxies == 4
    assert full.services["a"].meshed is None and full.services["a"].plain is None
    assert full.services["a"].latency_ms.mean == pytest.approx(1.0, abs=1e-9)


def test_canary_results_keys_absent_without_canary() -> None:
    res = results(CANARY.replace("canary: {a: 0.3}", "services: [c]"))
    wire = res.phases[1].model_dump(by_alias=True)
    assert "canary" not in wire and "denials" not in wire and "proxyCostPerMonth" not in wire
    assert "meshed" not in wire["services"]["a"]


def test_canary_caller_applies_mesh_policy_from_its_meshed_replicas_only() -> None:
    body = """\
    services:
      - {name: c, replicas: 2, concurrencyModel: async, concurrency: 100000, serviceTime: 0ms,
         calls: [{to: a}]}
      - {name: a, concurrency: 100000, serviceTime: 0ms}
    entrypoints: [{name: web, service: c, rate: 100/s, arrival: constant}]
    rollout: {phases: [{name: p, services: [a], canary: {c: 0.5}}]}
    """
    phase = results(body).phases[1]
    c = phase.services["c"]
    assert c.meshed is not None and c.plain is not None
    assert (c.meshed.replicas, c.plain.replicas) == (1, 1)
    # 1 sidecar on c (ceil(0.5 × 2)) + 1 on a
    assert phase.proxies == 2
    # calls c → a leave through a sidecar exactly when they start on c's meshed replica
    edge = next(e for e in phase.edges if (e.from_, e.to) == ("c", "a"))
    assert edge.policy is True
    assert phase.policy_coverage == pytest.approx(
        c.meshed.attempts / (c.calls + phase.services["a"].calls), abs=1e-12
    )
    assert edge.mtls == pytest.approx(c.meshed.attempts / edge.attempts, abs=1e-12)


def test_canary_share_rounding() -> None:
    # ceil(share × replicas), at least one: 0.01 of 3 replicas is still one sidecar
    body = CANARY.replace("replicas: 4", "replicas: 3").replace("a: 0.3", "a: 0.01")
    assert results(body).phases[1].proxies == 1


# --- authorization -------------------------------------------------------------------

AUTHZ = """\
services:
  - {name: c, concurrencyModel: async, concurrency: 100000, serviceTime: 0ms,
     calls: [{to: a, retries: 2}]}
  - {name: a, concurrency: 100000, serviceTime: 0ms}
entrypoints: [{name: web, service: c, rate: 100/s, arrival: constant}]
rollout: {phases: [PHASE]}
"""
RETRY_ALL = (
    "mesh: {profile: custom, proxy: {latency: 0ms, cpuPer1kRps: 0.2, memoryMiB: 50},\n"
    "       defaults: {retries: {attempts: 3, retryOn: [5xx, gateway-error, reset,"
    " connect-failure, retriable-4xx]}}}\n"
)


def authz_phase(phase: str):
    return results(AUTHZ.replace("PHASE", phase), RETRY_ALL).phases[1]


def edge(phase, client: str, server: str):
    return next(e for e in phase.edges if (e.from_, e.to) == (client, server))


def test_a_caller_not_allowed_is_denied_once_and_never_retried() -> None:
    phase = authz_phase("{name: p, services: [c, a], authz: [{service: a, allow: []}]}")
    a, calls = phase.services["a"], phase.services["a"].calls
    assert calls > 0
    # 3 mesh retries and 2 application retries are configured: a 403 uses none of them
    assert a.attempts == calls and a.retries == 0
    assert edge(phase, "c", "a").denials == calls and phase.denials == calls
    assert edge(phase, "@web", "c").denials == 0
    assert phase.entrypoints["web"].success_rate == 0.0
    assert a.errors == a.rejected == a.timeouts == 0  # 403 is none of those


def test_a_plaintext_caller_has_no_identity_and_is_denied_by_any_allow_list() -> None:
    # c is named in the allow list, but it is not meshed: no certificate, no principal
    phase = authz_phase("{name: p, services: [a], authz: [{service: a, allow: [c]}]}")
    a = phase.services["a"]
    assert a.attempts == a.calls and edge(phase, "c", "a").denials == a.calls


def test_an_allowed_meshed_caller_passes_and_denials_are_reported_as_zero() -> None:
    phase = authz_phase("{name: p, services: [c, a], authz: [{service: a, allow: [c]}]}")
    assert phase.entrypoints["web"].success_rate == 1.0
    assert phase.denials == 0.0 and edge(phase, "c", "a").denials == 0.0


def test_an_unmeshed_callee_enforces_nothing() -> None:
    phase = authz_phase("{name: p, services: [c], authz: [{service: a, allow: []}]}")
    assert phase.entrypoints["web"].success_rate == 1.0 and phase.denials == 0.0


def test_mesh_default_deny_refuses_every_caller_without_an_allow_list() -> None:
    phase = authz_phase("{name: p, services: [c, a], authz: [{scope: mesh, default: deny}]}")
    web = phase.services["c"].calls
    # the external entry client reaches meshed c first: refused there, a never called
    assert edge(phase, "@web", "c").denials == web == phase.denials
    assert phase.services["a"].calls == 0


# --- certificate expiry and proxy crash drills ---------------------------------------

DRILL = """\
simulation: {duration: 10s, warmup: 0s, seed: 5, replications: 1}
services:
  - {name: c, concurrencyModel: async, concurrency: 100000, serviceTime: 0ms, calls: [{to: a}]}
  - {name: a, concurrency: 100000, serviceTime: WORK}
entrypoints: [{name: web, service: c, rate: 4/s, arrival: constant}]
faults: [FAULT]
rollout: {phases: [PHASE]}
mesh: {profile: custom, proxy: {latency: 0ms, cpuPer1kRps: 0.2, memoryMiB: 50}, MESH}
"""
# arrivals every 0.25 s (exact in binary): 39 in [0, 10); 12 of them (2.0 .. 4.75) fall
# in a fault window [1.9 s, 4.9 s)
ARRIVALS, IN_WINDOW = 39, 12


def drill(fault: str, phase: str, work: str = "0ms", mesh: str = "defaults: {}"):
    text = (
        DRILL.replace("FAULT", fault)
        .replace("PHASE", phase)
        .replace("WORK", work)
        .replace("MESH", mesh)
    )
    return run_scenario(parse_scenario("metadata: {name: drill}\n" + text)).phases[1]


CERT_A = "{service: a, type: cert-expiry, start: 1.9s, duration: 3s}"


def test_cert_expiry_fails_every_mtls_call_in_its_window_and_retries_follow_policy() -> None:
    phase = drill(CERT_A, "{name: p, services: [c, a]}")
    a = phase.services["a"]
    assert phase.entrypoints["web"].requests == ARRIVALS
    assert phase.entrypoints["web"].success_rate == pytest.approx((ARRIVALS - IN_WINDOW) / ARRIVALS)
    # Istio's default retries (2, retryOn connect-failure) try each failed call 3 times;
    # their back-offs (< 25 ms, < 50 ms) stay inside the window
    assert a.attempts == ARRIVALS + 2 * IN_WINDOW
    assert a.rejected == 3 * IN_WINDOW


def test_cert_expiry_leaves_plaintext_calls_alone() -> None:
    # c is plaintext: c -> a is not mTLS, so a's expired certificate does not matter
    phase = drill(CERT_A, "{name: p, services: [a]}")
    assert phase.entrypoints["web"].success_rate == 1.0
    assert phase.services["a"].rejected == 0


def test_cert_expiry_of_the_caller_fails_its_outbound_mtls() -> None:
    fault = CERT_A.replace("service: a", "service: c")
    phase = drill(fault, "{name: p, services: [c, a]}", mesh="defaults: {retries: {attempts: 0}}")
    # web -> c is plaintext (external client): only c -> a fails
    assert phase.services["c"].rejected == 0
    assert phase.services["a"].rejected == IN_WINDOW


PROXY_CRASH = "{service: a, type: proxy-crash, start: 1.9s, duration: 3s}"


def test_proxy_crash_resets_in_flight_requests_and_refuses_for_its_duration() -> None:
    # a works 0.2 s per request: the one that arrived at 1.75 s is in flight at 1.9 s
    phase = drill(
        PROXY_CRASH,
        "{name: p, services: [c, a]}",
        work="200ms",
        mesh="defaults: {retries: {attempts: 0}}",
    )
    a = phase.services["a"]
    assert a.rejected == IN_WINDOW  # connect-failure while the sidecar restarts
    assert phase.entrypoints["web"].success_rate == pytest.approx(
        (ARRIVALS - IN_WINDOW - 1) / ARRIVALS
    )


def test_proxy_crash_does_not_touch_an_unmeshed_service() -> None:
    phase = drill(PROXY_CRASH, "{name: p, services: [c]}", work="200ms")
    assert phase.entrypoints["web"].success_rate == 1.0


# --- clusters ------------------------------------------------------------------------

CLUSTERS = """\
clusters:
  - {name: east, network: n1}
  - {name: west, network: WESTNET, crossLatency: 7ms}
services:
  - {name: c, clusters: {east: 1}, concurrencyModel: async, concurrency: 100000,
     serviceTime: 0ms, calls: [{to: a}]}
  - {name: a, clusters: ACLUSTERS, concurrency: 100000, serviceTime: 0ms}
entrypoints: [{name: web, service: c, rate: 100/s, arrival: constant}]
rollout: {phases: [PHASE]}
"""
ZERO = "mesh: {profile: custom, proxy: {latency: 0ms, cpuPer1kRps: 0.2, memoryMiB: 50}LB}\n"


def clusters(phase: str, a: str = "{west: 1}", net: str = "n2", lb: str = ""):
    body = CLUSTERS.replace("PHASE", phase).replace("ACLUSTERS", a).replace("WESTNET", net)
    return results(body, ZERO.replace("LB", lb)).phases[1]


def test_a_cross_network_call_adds_the_crossing_latency_each_way() -> None:
    phase = clusters("{name: p, services: [c, a]}")
    a = phase.services["a"]
    # nothing else costs time: each try takes exactly 7 ms there + 7 ms back
    assert a.latency_ms.mean == pytest.approx(14.0, abs=1e-9)
    assert a.latency_ms.max == pytest.approx(14.0, abs=1e-9)
    assert phase.entrypoints["web"].success_rate == 1.0


def test_a_plaintext_caller_cannot_reach_another_network() -> None:
    phase = clusters("{name: p, services: [a]}")
    a = phase.services["a"]
    assert a.rejected == a.attempts == a.calls > 0
    assert phase.entrypoints["web"].success_rate == 0.0


def test_clusters_on_one_network_need_no_crossing() -> None:
    phase = clusters("{name: p, services: [a]}", net="n1")
    assert phase.services["a"].latency_ms.max == 0.0
    assert phase.entrypoints["web"].success_rate == 1.0


def test_locality_lb_keeps_meshed_calls_in_the_client_cluster() -> None:
    local = clusters("{name: p, services: [c, a]}", a="{east: 1, west: 1}", lb=", localityLb: true")
    assert local.services["a"].latency_ms.max == 0.0  # never crossed to west
    spread = clusters("{name: p, services: [c, a]}", a="{east: 1, west: 1}")
    assert spread.services["a"].latency_ms.max == pytest.approx(14.0, abs=1e-9)


def test_a_phase_onboards_every_replica_of_a_cluster() -> None:
    phase = clusters("{name: p, clusters: [west]}", a="{east: 2, west: 3}")
    # a's 3 replicas in west get sidecars, its 2 in east and c (east) do not
    assert phase.proxies == 3
    assert phase.canary is None
    a = phase.services["a"]
    assert a.meshed is not None and (a.meshed.replicas, a.plain.replicas) == (3, 2)


# --- cost ----------------------------------------------------------------------------


def test_proxy_cost_per_month_prices_cpu_and_memory_for_730_hours() -> None:
    body = CANARY + "cost: {vcpuHour: 0.04, gibHour: 0.005}\n"
    full = results(body).phases[2]
    # a's 4 sidecars (50 MiB each) see every request once: 0.2 vCPU per 1000 rps
    rps = full.entrypoints["web"].requests / 10.0
    assert full.proxy_memory_mi_b == 200.0
    assert full.proxy_cpu_cores == pytest.approx(rps * 0.2 / 1000.0)
    expected = (rps * 0.2 / 1000.0 * 0.04 + 200.0 / 1024.0 * 0.005) * 730.0
    assert full.proxy_cost_per_month == pytest.approx(expected, rel=1e-12)
    assert results(body).phases[0].proxy_cost_per_month == 0.0  # the baseline has no proxy


def test_locality_lb_fails_over_once_the_local_replicas_are_ejected() -> None:
    # a's east replica always answers 500; outlier detection ejects it at the first
    # failure (threshold 1, ejection 60 s > the run): from then on c's sidecar, with no
    # healthy replica in east, uses west, 7 ms + 7 ms away
    body = CLUSTERS.replace("PHASE", "{name: p, services: [c, a]}").replace("WESTNET", "n2")
    body = body.replace(
        "  - {name: a, clusters: ACLUSTERS, concurrency: 100000, serviceTime: 0ms}\n",
        "  - {name: a, clusters: {east: 1, west: 1}, concurrency: 100000, serviceTime: 0ms}\n",
    )
    # the east replica fails through an error fault on replica 1 (the first, in east)
    body += "faults: [{service: a, type: error, replicas: 1, errorRate: 1.0}]\n"
    mesh = (
        "mesh: {profile: custom, proxy: {latency: 0ms, cpuPer1kRps: 0.2, memoryMiB: 50},"
        " localityLb: true, defaults: {retries: {attempts: 0}, outlierDetection:"
        " {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 60s,"
        " maxEjectionPercent: 100}}}\n"
    )
    phase = results(body, mesh).phases[1]
    a = phase.services["a"]
    assert a.errors == 1 and a.ejections == 1
    assert a.latency_ms.max == pytest.approx(14.0, abs=1e-9)
    assert phase.entrypoints["web"].success_rate == pytest.approx(
        (phase.entrypoints["web"].requests - 1) / phase.entrypoints["web"].requests
    )
