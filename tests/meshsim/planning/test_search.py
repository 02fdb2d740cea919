"""The analytic screen and beam search behind the ``optimized`` strategy."""

from __future__ import annotations

import math

import pytest

from meshsim.planning.search import Estimator, repair, search
from meshsim.planning.strategies import GENERATED, generate, groups_of
from meshsim.rollout.graph import CallTable
from tests.meshsim.planning.planning_scenarios import shop, wide


def test_estimate_by_hand():
    s = shop()
    est = Estimator(s)
    groups = [["db", "pay", "ads"], ["api"], ["web"]]
    table = CallTable.from_scenario(s)
    # expected calls per request: api->db 1, api->pay .2, web->api 1, web->ads .5
    mtls = [0 / 2.7, 1.2 / 2.7, 2.7 / 2.7]
    sens = [0.0, 1.0, 1.0]
    exposures = [table.touch_probability(g) for g in groups]
    assert exposures == pytest.approx([1.0, 1.0, 1.0])
    # 15 mTLS + 10 sensitive mTLS + 15 pilot exposure + 10 mean exposure points
    expected = 15 * sum(mtls) / 3 + 10 * sum(sens) / 3 + 15 * (1 - 1.0) + 10 * (1 - 1.0)
    assert est.score(groups) == pytest.approx(expected)
    # phase 1 touches every request: 0.9 above the default pilot limit of 0.1
    assert est.breach(groups) == pytest.approx(0.9)
    assert est.objective(groups) == pytest.approx(expected - 1000 * 0.9)


def seeds_of(s, k=4):
    return [groups_of(s, generate(s, name, k)) for name in GENERATED]


def test_search_returns_only_new_assignments_that_keep_the_limits_and_estimate_better():
    s = wide()
    est = Estimator(s)
    seeds = seeds_of(s)
    assert all(est.breach(g) > 0 for g in seeds)  # every generated pilot is too big here
    found = search(s, seeds, estimator=Estimator(s))
    assert found, "the seeds of this graph can be repaired"
    canonical = {tuple(tuple(sorted(g)) for g in seed) for seed in seeds}
    names = sorted(x.name for x in s.services)
    cap = math.ceil(1.5 * len(names) / 4)
    starts = [*seeds, *(repair(g, est) for g in seeds)]
    for groups in found:
        assert tuple(tuple(sorted(g)) for g in groups) not in canonical
        assert est.breach(groups) == 0
        assert est.exposure(groups[0]) <= 0.1
        assert sorted(n for g in groups for n in g) == names
        assert all(groups) and len(groups) == 4
        assert max(len(g) for g in groups) <= max(cap, max(len(g) for sd in starts for g in sd))
    scores = [est.score(g) for g in found]
    assert scores == sorted(scores, reverse=True)


def test_search_is_deterministic_and_respects_its_budget():
    s = wide()
    seeds = seeds_of(s)
    assert search(s, seeds) == search(s, seeds)
    est = Estimator(s)
    search(s, seeds, estimator=est, max_evaluations=30)
    assert est.evaluations <= 30 + 2 * len(s.services) * 4 + 2 * len(seeds)


def test_search_returns_nothing_when_no_move_helps():
    s = shop()
    single = [[["web", "api", "db", "ads", "pay"]]]  # one phase: no move keeps it non-empty
    assert search(s, single) == []
    assert search(s, []) == []


def test_repair_keeps_first_last_pilot_and_size_limits():
    s = wide(
        rollout={
            "constraints": {
                "pilotMaxExposure": 0.1,
                "maxServicesPerPhase": 3,
                "first": ["promo"],
                "last": ["api"],
            }
        }
    )
    est = Estimator(s)
    for seed in seeds_of(s):
        fixed = repair(seed, est)
        assert est.breach(fixed) == 0, (seed, fixed)
        assert "promo" in fixed[0] and "api" in fixed[-1]
        assert max(map(len, fixed)) <= 3
        assert sorted(n for g in fixed for n in g) == sorted(x.name for x in s.services)
    found = search(s, seeds_of(s))
    assert found and all(est.breach(g) == 0 for g in found)


def test_a_lone_pilot_swaps_with_a_small_service():
    s = wide()
    est = Estimator(s)
    # web alone touches 90% of requests; promo-next (0.5%) takes its place
    fixed = repair(
        [
            ["web"],
            ["api", "promo-next"],
            ["orders", "db", "search", "index"],
            ["card", "mail", "promo"],
        ],
        est,
    )
    assert fixed[0] == ["promo-next"] and "web" in fixed[1]


def test_no_assignment_can_keep_an_impossible_limit():
    s = shop()  # the smallest service touches 20% of requests: no pilot fits 10%
    est = Estimator(s)
    seeds = seeds_of(s)
    assert all(est.breach(repair(g, est)) > 0 for g in seeds)
    assert search(s, seeds) == []
