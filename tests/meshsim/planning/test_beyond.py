"""SPEC §20 in planning and lint: authz findings, least privilege, canary strategies, score."""

from __future__ import annotations

from meshsim import run_scenario
from meshsim.planning.beyond import least_privilege_refusals, with_canaries
from meshsim.planning.scoring import score_ordering
from meshsim.planning.strategies import ordering_phases
from meshsim.rollout.authz import least_privilege
from meshsim.rollout.lint import lint
from models import Ordering, Phase, Scenario
from models.beyond import AuthzRule

SHOP = {
    "metadata": {"name": "shop"},
    "simulation": {"duration": "5s", "warmup": "0s", "replications": 1},
    "services": [
        {"name": "front", "calls": [{"to": "cart"}, {"to": "pay"}]},
        {"name": "cart", "replicas": 4, "tier": "critical"},
        {"name": "pay", "sensitive": True, "replicas": 2},
    ],
    "entrypoints": [{"name": "web", "service": "front", "rate": 20, "client": "gateway"}],
}


def shop(phases: list[dict]) -> Scenario:
    return Scenario.model_validate({**SHOP, "rollout": {"phases": phases}})


def test_lint_flags_a_plaintext_caller_at_the_authz_entry() -> None:
    s = shop(
        [{"name": "p1", "services": ["pay"], "authz": [{"service": "pay", "allow": ["front"]}]}]
    )
    (f,) = [f for f in lint(s) if f.code == "authz-denies-caller"]
    assert f.loc == ("rollout", "phases", 0, "authz", 0)
    assert f.severity == "error"
    assert "front" in f.message and "no identity" in f.message


def test_lint_is_quiet_when_every_caller_is_meshed_and_allowed() -> None:
    s = shop(
        [
            {"name": "p1", "services": ["front", "cart", "pay"], "gateway": True},
            {"name": "p2", "authz": [{"service": "pay", "allow": ["front"]}]},
        ]
    )
    assert [f for f in lint(s) if f.code == "authz-denies-caller"] == []


def test_lint_flags_mesh_default_deny_for_callees_without_allow_lists() -> None:
    s = shop(
        [
            {"name": "p1", "services": ["front", "cart", "pay"], "gateway": True},
            {
                "name": "p2",
                "authz": [
                    {"scope": "mesh", "default": "deny"},
                    {"service": "pay", "allow": ["front"]},
                ],
            },
        ]
    )
    found = {
        (f.message.split(": ")[1].split("'")[0]) for f in lint(s) if f.code == "authz-denies-caller"
    }
    # front (from @gateway) and cart (from front) have no allow list; pay has one
    assert found == {"front", "cart"}


def test_least_privilege_allows_exactly_the_observed_callers() -> None:
    s = shop([])
    rules = {r.service: r.allow for r in least_privilege(s)}
    assert rules == {"front": ["@gateway"], "cart": ["front"], "pay": ["front"]}


def test_least_privilege_breaks_nothing_once_every_caller_is_meshed() -> None:
    s = shop([])
    lp = least_privilege(s)
    late = [
        Phase(name="all", services=["front", "cart", "pay"], gateway=True),
        Phase(name="lp", authz=lp),
    ]
    assert least_privilege_refusals(s, late) == []
    early = [
        Phase(name="pay", services=["pay"], authz=lp),
        Phase(name="rest", services=["front", "cart"], gateway=True),
    ]
    assert least_privilege_refusals(s, early) == ["pay: front -> pay"]
    # and the simulation agrees: no 403 in any phase of the late plan
    run = run_scenario(
        s.model_copy(update={"rollout": s.rollout.model_copy(update={"phases": late})})
    )
    assert [p.denials for p in run.phases] == [None, None, 0.0]


def test_strategy_option_least_privilege_adds_the_rules_to_the_last_phase() -> None:
    s = shop([])
    o = Ordering(name="lp", strategy="edge-first", phase_count=2, least_privilege=True)
    phases = ordering_phases(s, o)
    assert phases[-1].authz == least_privilege(s)
    assert least_privilege_refusals(s, phases) == []


def test_strategy_option_canary_starts_risky_services_one_phase_early() -> None:
    s = shop([])
    o = Ordering(name="c", strategy="edge-first", phase_count=3, canary=0.25)
    plain = ordering_phases(s, Ordering(name="p", strategy="edge-first", phase_count=3))
    assert [p.services for p in plain] == [["front"], ["cart"], ["pay"]]
    phases = ordering_phases(s, o)
    # cart (critical) and pay (sensitive) are canaries one phase before they are meshed
    assert [(p.services, p.canary) for p in phases] == [
        (["front"], {"cart": 0.25}),
        (["cart"], {"pay": 0.25}),
        (["pay"], {}),
    ]


def test_a_risky_service_of_phase_one_gets_a_canary_phase_in_front() -> None:
    s = shop([])
    out = with_canaries(
        s, [Phase(name="p1", services=["pay"]), Phase(name="p2", services=["front"])], 0.5
    )
    assert [(p.name, p.services, p.canary) for p in out] == [
        ("canary", [], {"pay": 0.5}),
        ("p1", ["pay"], {}),
        ("p2", ["front"], {}),
    ]


def test_a_phase_with_denials_counts_as_a_breakage_in_the_score() -> None:
    s = shop(
        [
            {"name": "p1", "services": ["front", "cart", "pay"], "gateway": True},
            {"name": "p2", "authz": [AuthzRule(service="pay", allow=["cart"]).model_dump()]},
        ]
    )
    res = run_scenario(s)
    assert res.phases[1].denials is None and res.phases[2].denials > 0
    assert res.phases[2].breakages == 0.0  # no STRICT refusal: only the 403s
    assert score_ordering(s, res.phases).breakages == 1


CHAIN = {
    "metadata": {"name": "chain"},
    "simulation": {"duration": "6s", "warmup": "1s", "replications": 2},
    "services": [
        {"name": "c", "calls": [{"to": "a"}]},
        {"name": "a"},
    ],
    "entrypoints": [{"name": "web", "service": "c", "rate": 20}],
    "rollout": {
        "phases": [
            {"name": "a-only", "services": ["a"]},
            {"name": "both", "services": ["c"]},
        ]
    },
}


def test_blast_under_cert_expiry_hits_only_mtls_calls() -> None:
    from meshsim.planning.blast import blast_radius

    s = Scenario.model_validate(CHAIN)
    # c is plaintext in a-only: an expired certificate of a or c changes no call
    early = blast_radius(s, phase="a-only", fault="cert-expiry")
    assert {n: e.blast_radius for n, e in early.services.items()} == {"c": 0.0, "a": 0.0}
    # once c -> a is mTLS, either expiry fails every measured request (retries all fail)
    late = blast_radius(s, phase="both", fault="cert-expiry")
    assert {n: e.blast_radius for n, e in late.services.items()} == {"c": 1.0, "a": 1.0}
    assert late.fault == "cert-expiry"
    assert "fault" not in blast_radius(s, phase="both", services=["a"]).model_dump(by_alias=True)


def test_blast_under_proxy_crash_spares_unmeshed_services() -> None:
    from meshsim.planning.blast import blast_radius

    s = Scenario.model_validate(CHAIN)
    res = blast_radius(s, phase="a-only", fault="proxy-crash")
    # c has no sidecar to crash; a's crash refuses every call to it
    assert res.services["c"].blast_radius == 0.0 and res.services["a"].blast_radius == 1.0
