"""Generated orderings (SPEC §7.2): first phases, splits, gateway and safe STRICT steps."""

from __future__ import annotations

import pytest

from meshsim.errors import SimulationError
from meshsim.planning.strategies import (
    GENERATED,
    build_phases,
    generate,
    groups_of,
    ordering_phases,
    split_even,
    strict_phase,
)
from meshsim.rollout.graph import CallTable, callers, heights
from models import Ordering
from tests.meshsim.planning.planning_scenarios import scenario, shop, wide


def phase_of(phases):
    return {n: k for k, p in enumerate(phases, start=1) for n in p.services}


def test_split_even():
    assert split_even(list("abcdefg"), 3) == [["a", "b", "c"], ["d", "e"], ["f", "g"]]
    assert split_even(["a", "b"], 4) == [["a"], ["b"]]
    assert split_even(list("abcd"), 1) == [["a", "b", "c", "d"]]


@pytest.mark.parametrize("strategy", GENERATED)
@pytest.mark.parametrize("k", [1, 3, 4])
def test_every_service_once_in_at_most_k_phases(strategy, k):
    s = wide()
    phases = generate(s, strategy, k)
    names = [n for p in phases for n in p.services]
    assert sorted(names) == sorted(x.name for x in s.services)
    assert 1 <= len(phases) <= k
    assert all(p.services for p in phases)
    assert [p.name for p in phases] == [f"phase-{i}" for i in range(1, len(phases) + 1)]


def test_risk_ascending_first_phase_is_the_least_exposed():
    s = wide()
    exposure = CallTable.from_scenario(s).exposure()
    phases = generate(s, "risk-ascending", 4)
    first = set(phases[0].services)
    rest = {n for p in phases[1:] for n in p.services}
    assert max(exposure[n] for n in first) <= min(exposure[n] for n in rest)
    assert "promo-next" in first


def test_risk_ascending_non_production_first_among_equals():
    s = scenario(
        {
            "services": [
                {
                    "name": "a",
                    "calls": [{"to": "b", "probability": 0.5}, {"to": "c", "probability": 0.5}],
                },
                {"name": "b"},
                {"name": "c", "environment": "development"},
            ],
            "entrypoints": [{"name": "web", "service": "a", "rate": 10}],
        }
    )
    phases = generate(s, "risk-ascending", 3)
    assert [p.services for p in phases] == [["c"], ["b"], ["a"]]


def test_edge_first_first_phase_is_entry_and_external_services():
    s = wide()
    phases = generate(s, "edge-first", 4)
    assert set(phases[0].services) == {"web", "api", "promo-next"}
    assert phases[0].gateway is True  # web receives the gateway entrypoint
    assert [p.gateway for p in phases[1:]] == [None] * (len(phases) - 1)
    # then by call distance: depth-1 services before depth-2 ones
    later = phase_of(phases)
    assert later["orders"] <= later["db"] and later["search"] <= later["index"]


def test_leaves_first_first_phase_are_leaves_and_dependencies_precede_callers():
    s = wide()
    phases = generate(s, "leaves-first", 4)
    height = heights(s)
    assert all(height[n] == 0 for n in phases[0].services)
    where = phase_of(phases)
    for callee, who in callers(s).items():
        for caller in who:
            assert where[callee] <= where[caller]


def test_sensitive_first_first_phase_is_sensitive_services_and_their_callers():
    s = wide()
    phases = generate(s, "sensitive-first", 4)
    assert set(phases[0].services) == {"card", "orders"}
    # card's only caller is orders: STRICT for card right away
    assert [r.name for r in phases[0].mtls] == ["card"]


def test_sensitive_first_without_sensitive_services_is_risk_ascending():
    s = shop()
    data = s.model_dump(by_alias=True, exclude_unset=True)
    for svc in data["services"]:
        svc.pop("sensitive", None)
    plain = scenario(data)
    assert generate(plain, "sensitive-first", 3) == generate(plain, "risk-ascending", 3)


@pytest.mark.parametrize("strategy", GENERATED)
def test_strict_comes_only_once_every_caller_is_meshed_and_at_the_earliest(strategy):
    s = wide()
    phases = generate(s, strategy, 4)
    where = phase_of(phases)
    gateway = next(k for k, p in enumerate(phases, start=1) if p.gateway)
    strict = {r.name: k for k, p in enumerate(phases, start=1) for r in p.mtls}
    assert all(r.scope == "service" and r.mode == "STRICT" for p in phases for r in p.mtls)
    who_calls = callers(s)
    for name in where:
        if name in ("api", "promo-next"):  # receive an external entrypoint: never STRICT
            assert name not in strict
            continue
        needed = [where[name], *(where[c] for c in who_calls[name])]
        if name == "web":
            needed.append(gateway)
        assert strict[name] == max(needed), name


def test_strict_phase_skips_services_outside_the_plan():
    s = shop()
    assert strict_phase(s, [["db"], ["ads"]]) == {}  # their callers are not in the plan
    assert strict_phase(s, [["db"], ["api"]]) == {"db": 2}


def test_build_phases_orders_services_as_the_document_and_adds_ambient_waypoints():
    s = shop(mesh={"profile": "istio-ambient", "policies": [{"host": "pay", "timeout": "1s"}]})
    phases = build_phases(s, [["pay", "db"], ["web", "api", "ads"]])
    assert phases[0].services == ["db", "pay"]
    assert phases[0].waypoints == ["pay"]
    assert phases[1].waypoints == []
    assert phases[1].gateway is True


def test_as_written_and_errors():
    s = shop()
    assert generate(s, "as-written") == list(s.rollout.phases)
    bare = shop(rollout={"phases": []})
    with pytest.raises(SimulationError, match="needs rollout.phases"):
        generate(bare, "as-written")
    with pytest.raises(SimulationError, match="unknown strategy 'nope'"):
        generate(s, "nope")
    with pytest.raises(SimulationError, match="search"):
        generate(s, "optimized")
    with pytest.raises(SimulationError, match="at least 1"):
        generate(s, "edge-first", 0)


def test_named_orderings():
    s = shop()
    explicit = Ordering.model_validate(
        {"name": "x", "phases": [{"name": "all", "services": ["db"]}]}
    )
    assert [p.name for p in ordering_phases(s, explicit)] == ["all"]
    generated = Ordering.model_validate({"name": "y", "strategy": "leaves-first", "phaseCount": 2})
    assert ordering_phases(s, generated) == generate(s, "leaves-first", 2)
    assert groups_of(s, generate(s, "leaves-first", 2)) == [
        p.services for p in generate(s, "leaves-first", 2)
    ]
