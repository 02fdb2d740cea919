"""The rules of a phase, applied once (meshsim.rollout.state) and read by every consumer."""

from __future__ import annotations

import yaml

from meshsim import export_istio
from meshsim.rollout.state import BROKEN, MTLS, PLAINTEXT, join_phases, phase_state, phase_states
from meshsim.sim.compile import compile_phases
from tests.conftest import build

SERVICES = [
    {"name": "front", "namespace": "shop", "calls": [{"to": "api"}]},
    {"name": "api", "namespace": "shop", "calls": [{"to": "db"}]},
    {"name": "db", "namespace": "data"},
    {"name": "cache", "namespace": "data"},
]


def _scenario(phases, **top):
    return build(SERVICES, rollout={"phases": phases}, **top)


def test_meshing_is_cumulative_and_namespaces_expand():
    s = _scenario(
        [
            {"name": "p1", "services": ["db"]},
            {"name": "p2", "namespaces": ["shop"]},
        ]
    )
    states = phase_states(s)
    assert [st.name for st in states] == ["baseline", "p1", "p2"]
    assert states[0].meshed == frozenset() and states[0].onboarded == ()
    assert states[1].meshed == {"db"} and states[1].onboarded == ("db",)
    assert states[2].meshed == {"db", "front", "api"}
    assert states[2].onboarded == ("front", "api")
    assert join_phases(s) == {"db": 1, "front": 2, "api": 2}


def test_mtls_precedence_service_over_namespace_over_mesh_and_later_phases_win():
    s = _scenario(
        [
            {
                "name": "p1",
                "services": ["front", "api", "db", "cache"],
                "mtls": [
                    {"scope": "mesh", "mode": "STRICT"},
                    {"scope": "namespace", "name": "data", "mode": "PERMISSIVE"},
                    {"scope": "service", "name": "cache", "mode": "STRICT"},
                ],
            },
            {"name": "p2", "mtls": [{"scope": "service", "name": "api", "mode": "PERMISSIVE"}]},
            {"name": "p3", "mtls": [{"scope": "namespace", "name": "data", "mode": "STRICT"}]},
        ]
    )
    strict = [st.strict for st in phase_states(s)]
    assert strict[1] == {"front", "api", "cache"}
    assert strict[2] == {"front", "cache"}
    assert strict[3] == {"front", "db", "cache"}


def test_strict_only_applies_to_meshed_services_and_breaks_plaintext_callers():
    s = _scenario(
        [
            {
                "name": "p1",
                "services": ["db"],
                "gateway": False,
                "mtls": [{"scope": "mesh", "mode": "STRICT"}],
            },
        ]
    )
    state = phase_state(s, 1)
    assert state.strict == {"db"}  # front and api have no proxy to enforce STRICT
    assert state.edge_kind("api", "db") == BROKEN
    assert state.edge_kind("front", "api") == PLAINTEXT
    assert state.edge_kind("@gateway", "front") == PLAINTEXT


def test_gateway_meshed_from_phase_one_unless_a_phase_says_when():
    unsaid = _scenario([{"name": "p1", "services": ["db"]}, {"name": "p2", "services": ["api"]}])
    assert [st.gateway_meshed for st in phase_states(unsaid)] == [False, True, True]
    said = _scenario(
        [
            {"name": "p1", "services": ["db"]},
            {"name": "p2", "services": ["front"], "gateway": True},
            {"name": "p3", "services": ["api"], "gateway": False},
        ]
    )
    assert [st.gateway_meshed for st in phase_states(said)] == [False, False, True, True]
    assert phase_state(said, 2).edge_kind("@gateway", "front") == MTLS


def test_policies_merge_field_by_field_in_order_and_the_baseline_has_none():
    s = _scenario(
        [
            {"name": "p1", "services": ["front", "api"]},
            {
                "name": "p2",
                "policies": [{"host": "api", "retries": {"attempts": 5}}],
            },
        ],
        mesh={
            "profile": "istio-sidecar",
            "policies": [
                {"host": "api", "timeout": "2s", "retries": {"attempts": 1, "perTryTimeout": "1s"}}
            ],
        },
    )
    states = phase_states(s)
    assert dict(states[0].policies) == {} and states[0].policy_hosts == ()
    p1, p2 = states[1].policies["api"], states[2].policies["api"]
    assert (p1.timeout, p1.retries.attempts, p1.retries.per_try_timeout) == (2.0, 1, 1.0)
    assert (p2.timeout, p2.retries.attempts, p2.retries.per_try_timeout) == (2.0, 5, 1.0)
    assert states[2].policy_hosts == ("api",)
    # every reader sees the same merged policy: the compiler ...
    plan = compile_phases(s)[2]
    api = [sv["name"] for sv in SERVICES].index("api")
    assert plan.policies[api].attempts == 5 and plan.policies[api].route_timeout == 2.0
    # ... and the Istio export
    vs = yaml.safe_load(export_istio(s, "p2")["50-virtual-services.yaml"])
    assert vs["spec"]["http"][0]["retries"]["attempts"] == 5
    assert vs["spec"]["http"][0]["timeout"] == "2s"


def test_compiled_plans_follow_the_state_for_another_ordering():
    s = _scenario([{"name": "p1", "services": ["db"]}])
    other = [
        {"name": "x", "services": ["front", "api", "db", "cache"],
         "mtls": [{"scope": "mesh", "mode": "STRICT"}]},
    ]  # fmt: skip
    from models import Phase

    phases = [Phase.model_validate(p) for p in other]
    plans = compile_phases(s, phases)
    states = phase_states(s, phases)
    names = [sv["name"] for sv in SERVICES]
    for plan, state in zip(plans, states, strict=True):
        assert plan.meshed == [n in state.meshed for n in names]
        assert plan.strict == [n in state.strict for n in names]
        assert plan.gateway_meshed == state.gateway_meshed
    assert plans[1].strict == [True, True, True, True]
