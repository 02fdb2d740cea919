"""SPEC §20 rules of a phase: canaries, onboarded clusters, AuthorizationPolicy state."""

from __future__ import annotations

from meshsim.rollout.state import phase_states
from meshsim.sim.compile import compile_phases
from models import Scenario

DOC = {
    "clusters": [{"name": "east"}, {"name": "west"}],
    "services": [
        {"name": "a", "clusters": {"east": 1, "west": 1}, "calls": [{"to": "b"}]},
        {"name": "b", "clusters": {"east": 3, "west": 2}},
        {"name": "c", "clusters": {"west": 2}},
    ],
    "entrypoints": [{"name": "web", "service": "a", "rate": 1, "client": "gateway"}],
    "rollout": {
        "phases": [
            {"name": "p1", "canary": {"b": 0.3}, "mtls": [{"scope": "mesh", "mode": "STRICT"}]},
            {"name": "p2", "clusters": ["west"], "authz": [{"service": "b", "allow": ["a"]}]},
            {"name": "p3", "services": ["b"], "authz": [{"scope": "mesh", "default": "deny"}]},
        ]
    },
}


def test_canary_then_cluster_then_whole() -> None:
    base, p1, p2, p3 = phase_states(Scenario.model_validate(DOC))
    assert base.partial == {} and base.authz == {}
    # ceil(0.3 × 5) = 2: b's first two replicas (both in east); STRICT on them only
    assert p1.partial == {"b": (True, True, False, False, False)}
    assert p1.canary == {"b": 0.3} and p1.meshed == frozenset() and p1.strict == {"b"}
    assert p1.partly_onboarded == ("b",)
    # west: a's west replica, b's two west replicas, all of c (so c is meshed whole)
    assert p2.partial == {"a": (False, True), "b": (True, True, False, True, True)}
    assert p2.meshed == {"c"} and p2.partly_onboarded == ("a", "b", "c")
    assert p2.authz == {"b": ("a",)} and not p2.authz_deny_default
    # p3 lists b: meshed whole, no longer a canary; the mesh now denies by default
    assert p3.partial == {"a": (False, True)} and p3.canary == {}
    assert p3.meshed == {"b", "c"} and p3.authz_deny_default
    assert p3.allowed("a", "b") is False  # a is meshed only in part: its east pod is plain
    assert p3.allowed("b", "c") is False  # c has no allow list under deny-by-default


def test_compiled_plans_carry_per_replica_flags_and_allowed_client_ids() -> None:
    plans = compile_phases(Scenario.model_validate(DOC))
    assert plans[0].replica_meshed is None and plans[0].authz is None
    assert plans[1].replica_meshed == [None, (True, True, False, False, False), None]
    assert [plans[2].smeshed(0, r) for r in range(2)] == [False, True]
    # client ids: services 0..2, the gateway entry 3; a (0) may call b; none else
    assert plans[2].authz == [None, frozenset({0}), None]
    assert plans[3].authz == [frozenset(), frozenset({0}), frozenset()]
