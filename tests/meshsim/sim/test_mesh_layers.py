"""Profiles, ambient, gateway and the coverage/cost metrics of SPEC §6, §7.1, §11.2."""

from __future__ import annotations

import pytest

from meshsim import run_scenario
from meshsim.sim.profiles import profile_numbers
from models import Mesh
from tests.conftest import build

CHAIN = [
    {"name": "a", "serviceTime": "1ms", "calls": [{"to": "b"}]},
    {"name": "b", "serviceTime": "1ms", "replicas": 2},
]


def chain(mesh, phases, client="external", rate="10/s"):
    s = build(
        CHAIN,
        entrypoints=[
            {"name": "web", "service": "a", "rate": rate, "arrival": "constant", "client": client}
        ],
        mesh=mesh,
        rollout={"phases": phases},
    )
    return run_scenario(s)


def test_profile_numbers_and_field_by_field_override():
    linkerd = profile_numbers(Mesh.model_validate({"profile": "linkerd"}))
    assert (linkerd.proxy.cpu_per_1k_rps, linkerd.proxy.memory_mib) == (0.10, 26.0)
    assert linkerd.proxy.latency.median == pytest.approx(0.00007)
    over = profile_numbers(Mesh.model_validate({"proxy": {"memoryMiB": 80}}))
    assert (over.proxy.cpu_per_1k_rps, over.proxy.memory_mib) == (0.20, 80.0)
    ambient = profile_numbers(Mesh.model_validate({"profile": "istio-ambient"}))
    assert (ambient.proxy.cpu_per_1k_rps, ambient.proxy.memory_mib) == (0.06, 12.0)
    assert (ambient.waypoint.cpu_per_1k_rps, ambient.waypoint.memory_mib) == (0.25, 60.0)


def test_sidecar_proxies_cost_and_coverage():
    mesh = {"proxy": {"latency": "0.5ms"}}
    r = chain(mesh, [{"name": "b", "services": ["b"]}, {"name": "a", "services": ["a"]}])
    base, one, two = r.phases
    assert (base.proxies, one.proxies, two.proxies) == (0, 2, 3)
    assert (one.proxy_memory_mi_b, two.proxy_memory_mi_b) == (120.0, 180.0)
    rps = one.entrypoints["web"].requests / 20.0  # constant arrivals: 199 in 20 s
    # phase 1: only b's sidecars, one traversal per a->b attempt
    assert one.proxy_cpu_cores == pytest.approx(rps * 0.20 / 1000)
    # phase 2: a's sidecar sees web->a and a->b, b's sees a->b: 3 traversals a request
    assert two.proxy_cpu_cores == pytest.approx(3 * rps * 0.20 / 1000)
    # a -> b is meshed at both ends only in phase 2; web -> a is plaintext always
    assert (base.mtls_coverage, one.mtls_coverage, two.mtls_coverage) == (0.0, 0.0, 1.0)
    assert one.policy_coverage == 0.0 and two.policy_coverage == pytest.approx(0.5)
    assert one.telemetry_coverage == pytest.approx(0.5) and two.telemetry_coverage == 1.0
    assert one.exposure == 1.0 and two.exposure == 1.0
    lat = [p.entrypoints["web"].latency_ms.max for p in r.phases]
    assert lat == pytest.approx([2.0, 2.5, 3.5])


def test_ambient_ztunnels_waypoints_and_l7_only_with_a_waypoint():
    mesh = {
        "profile": "istio-ambient",
        "nodes": 4,
        "proxy": {"latency": "0.1ms"},
        "defaults": {"retries": {"attempts": 2, "retryOn": ["5xx"]}},
    }
    faults = [{"service": "b", "type": "error", "errorRate": 1.0}]
    s = build(
        CHAIN,
        entrypoints=[{"name": "web", "service": "a", "rate": "10/s", "arrival": "constant"}],
        mesh=mesh,
        faults=faults,
        rollout={
            "phases": [{"name": "l4", "services": ["a", "b"]}, {"name": "l7", "waypoints": ["b"]}]
        },
    )
    base, l4, l7 = run_scenario(s).phases
    # L4 only: no retries although the default policy retries 5xx
    assert l4.services["b"].attempts == l4.services["b"].calls
    # policyCoverage counts calls from meshed clients (SPEC §11.2): a -> b, not web -> a
    assert l4.policy_coverage == pytest.approx(0.5) and l4.mtls_coverage == 1.0
    assert (l4.proxies, l4.proxy_memory_mi_b) == (4, 48.0)
    # with a waypoint: L7 policy applies (3 tries) and one more proxy
    assert l7.services["b"].attempts == 3 * l7.services["b"].calls
    assert (l7.proxies, l7.proxy_memory_mi_b) == (5, 108.0)


def test_ambient_latency_counts_both_ztunnels_and_the_waypoint():
    mesh = {"profile": "istio-ambient", "proxy": {"latency": "0.1ms"}}
    s = build(
        CHAIN,
        entrypoints=[{"name": "web", "service": "a", "rate": "10/s", "arrival": "constant"}],
        mesh=mesh,
        rollout={
            "phases": [{"name": "l4", "services": ["a", "b"]}, {"name": "l7", "waypoints": ["b"]}]
        },
    )
    base, l4, l7 = run_scenario(s).phases
    assert base.entrypoints["web"].latency_ms.max == pytest.approx(2.0)
    # web->a: a's ztunnel; a->b: both ztunnels
    assert l4.entrypoints["web"].latency_ms.max == pytest.approx(2.3)
    # + waypoint (sidecar numbers: lognormal) on a->b
    assert l7.entrypoints["web"].latency_ms.max > 2.3


@pytest.mark.parametrize(
    "phases, meshed_gateway",
    [
        (
            [{"name": "p1", "services": ["b"]}, {"name": "p2", "services": ["a"]}],
            [False, True, True],
        ),
        (
            [{"name": "p1", "services": ["b"]}, {"name": "p2", "services": ["a"], "gateway": True}],
            [False, False, True],
        ),
    ],
)
def test_gateway_becomes_meshed_at_its_phase(phases, meshed_gateway):
    r = chain({"proxy": {"latency": "0ms"}}, phases, client="gateway")
    got = [any(e.policy for e in p.edges if e.from_ == "@web") for p in r.phases]
    assert got == meshed_gateway
