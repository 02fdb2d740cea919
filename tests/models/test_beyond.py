"""SPEC §20 document rules: every message names the field it is about."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from models import Scenario

CLUSTERS = [{"name": "east", "network": "n1"}, {"name": "west", "network": "n2"}]


def doc(**over):
    base = {
        "services": [
            {"name": "a", "calls": [{"to": "b"}]},
            {"name": "b", "clusters": {"east": 2, "west": 1}},
        ],
        "entrypoints": [{"name": "web", "service": "a", "rate": "10/s"}],
        "clusters": CLUSTERS,
    }
    base.update(over)
    return base


def phases(*items):
    return {"phases": list(items)}


def errors(data) -> str:
    with pytest.raises(ValidationError) as info:
        Scenario.model_validate(data)
    return str(info.value)


def test_clusters_stand_for_replicas() -> None:
    s = Scenario.model_validate(doc())
    b = s.services[1]
    assert b.replicas == 3 and b.replica_clusters() == ["east", "east", "west"]
    assert s.clusters[0].cross_latency.mean > 0.010  # lognormal median 10 ms, p99 30 ms
    assert s.cost is None and s.mesh.locality_lb is False


def test_cluster_rules_name_their_field() -> None:
    bad = doc(services=[{"name": "a", "clusters": {"north": 1}}])
    assert "services[0].clusters.north: unknown cluster 'north'" in errors(bad)
    both = doc(services=[{"name": "a", "replicas": 2, "clusters": {"east": 1}}])
    assert "services[0].clusters: clusters give 1 replicas but replicas is 2" in errors(both)
    alone = doc(services=[{"name": "a", "clusters": {"east": 1}}], clusters=[])
    assert "services[0].clusters: services[].clusters needs the top-level 'clusters'" in errors(
        alone
    )
    dup = doc(clusters=[*CLUSTERS, {"name": "east"}])
    assert "clusters[2].name: duplicate cluster name 'east'" in errors(dup)
    phase = doc(rollout=phases({"name": "p", "clusters": ["south"]}))
    assert "rollout.phases[0].clusters[0]: unknown cluster 'south'" in errors(phase)


def test_canary_rules_name_their_field() -> None:
    unknown = doc(rollout=phases({"name": "p", "canary": {"zz": 0.5}}))
    assert "rollout.phases[0].canary.zz: unknown service 'zz'" in errors(unknown)
    lower = doc(
        rollout=phases({"name": "p", "canary": {"b": 0.5}}, {"name": "q", "canary": {"b": 0.25}})
    )
    assert "rollout.phases[1].canary.b: canary share 0.25 is below the earlier 0.5" in errors(lower)
    meshed = doc(
        rollout=phases({"name": "p", "services": ["b"]}, {"name": "q", "canary": {"b": 0.5}})
    )
    assert "rollout.phases[1].canary.b: service 'b' is already meshed in phase 'p'" in errors(
        meshed
    )
    assert "canary.b" in errors(doc(rollout=phases({"name": "p", "canary": {"b": 0}})))
    assert "canary.b" in errors(doc(rollout=phases({"name": "p", "canary": {"b": 1.5}})))


def test_authz_rules_name_their_field() -> None:
    unknown = doc(rollout=phases({"name": "p", "authz": [{"service": "zz", "allow": []}]}))
    assert "rollout.phases[0].authz[0].service: unknown service 'zz'" in errors(unknown)
    caller = doc(rollout=phases({"name": "p", "authz": [{"service": "b", "allow": ["a", "x"]}]}))
    assert "rollout.phases[0].authz[0].allow[1]: unknown caller 'x'" in errors(caller)
    no_allow = doc(rollout=phases({"name": "p", "authz": [{"service": "b"}]}))
    assert "authz rule for 'b' needs 'allow'" in errors(no_allow)
    mesh = doc(rollout=phases({"name": "p", "authz": [{"scope": "mesh", "allow": ["a"]}]}))
    assert "scope 'mesh' takes 'default'" in errors(mesh)
    ok = doc(rollout=phases({"name": "p", "authz": [{"service": "b", "allow": ["@gateway"]}]}))
    assert Scenario.model_validate(ok).rollout.phases[0].authz[0].allow == ["@gateway"]


def test_fault_and_ordering_rules() -> None:
    cert = doc(faults=[{"service": "b", "type": "cert-expiry", "replicas": 1}])
    assert "replicas does not apply to 'cert-expiry'" in errors(cert)
    crash = doc(faults=[{"service": "b", "type": "proxy-crash", "start": "1s", "duration": "2s"}])
    assert Scenario.model_validate(crash).faults[0].type == "proxy-crash"
    named = doc(orderings=[{"name": "o", "phases": [], "canary": 0.5}])
    assert "canary and leastPrivilege go with 'strategy'" in errors(named)
    cost = doc(cost={"vcpuHour": -1, "gibHour": 0.005})
    assert "cost.vcpuHour" in errors(cost)
