"""The score's acceptance oracles on the bundled samples (issue 11, SPEC §11.5 revised).

retry-storm.yaml says in its header that the as-written plan is the cure: its final
phase has a p99 of tens of ms and a retry amplification near 1, against hundreds of ms
and ~1.6 for an edge timeout alone. Online Boutique's frontend touches every request,
so a plan that meshes it in phase 1 breaks the default pilot limit of 10%.
"""

from __future__ import annotations

import pytest

from meshsim import load_scenario
from meshsim.planning.compare import compare
from tests.conftest import SAMPLES


def with_simulation(path, **simulation):
    s = load_scenario(path)
    data = s.model_dump(by_alias=True, exclude_unset=True)
    data["simulation"] = {**data.get("simulation", {}), **simulation}
    return type(s).model_validate(data)


@pytest.fixture(scope="module")
def storm():
    # the sample as written (60 s, outage 20-40 s), two replications to save time
    s = with_simulation(SAMPLES / "retry-storm.yaml", replications=2)
    return compare(s, strategies=["as-written"], workers=2)


def test_the_cure_ranks_first_on_retry_storm(storm):
    by_name = {o.name: o for o in storm.orderings}
    assert storm.ranking[0] == "as-written"
    cure, edge = by_name["as-written"].phases[-1], by_name["timeout-only"].phases[-1]
    assert cure.entrypoints["shop"].latency_ms.p99 < 150 < edge.entrypoints["shop"].latency_ms.p99
    assert cure.retry_amplification < 1.2 < 1.4 < edge.retry_amplification
    for other in ("timeout-only", "budget-only"):
        assert storm.ranking.index("as-written") < storm.ranking.index(other)
        score = by_name[other].score
        assert score.delta_vs_best < 0 and not score.tied_with_best, other


def test_the_storm_verdict_names_the_final_p99_and_amplification(storm):
    assert storm.verdict.startswith("as-written ranks first: final phase p99 ")
    assert "retry ×" in storm.verdict
    # phase 1 (the storm) is the same in every plan: the terms that see only it weigh 0
    assert storm.weights["pilotExposure"] == storm.weights["mtlsAuc"] == 0


@pytest.fixture(scope="module")
def boutique():
    s = with_simulation(
        SAMPLES / "online-boutique.yaml", duration="6s", warmup="1s", replications=2
    )
    return compare(s, strategies=["optimized", "edge-first", "risk-ascending"], workers=2)


def test_optimized_pilot_on_online_boutique_touches_at_most_10_percent(boutique):
    by_name = {o.name: o for o in boutique.orderings}
    opt = by_name["optimized"]
    assert "frontend" not in opt.phases[1].onboarded
    assert opt.phases[1].exposure <= 0.1 + opt.phases[1].ci95.get("exposure", 0.0)
    assert opt.score.violations == []


def test_plans_breaking_the_pilot_limit_are_marked_and_rank_after(boutique):
    by_name = {o.name: o for o in boutique.orderings}
    edge = by_name["edge-first"]
    assert edge.phases[1].exposure == pytest.approx(1.0)  # the frontend is in phase 1
    assert edge.score.violations == ["pilotMaxExposure"]
    keeping = [n for n in boutique.ranking if not by_name[n].score.violations]
    breaking = [n for n in boutique.ranking if by_name[n].score.violations]
    assert keeping and boutique.ranking == keeping + breaking
    for name in boutique.ranking[1:]:
        s = by_name[name].score
        assert s.delta_ci95 is not None and s.tied_with_best is not None
