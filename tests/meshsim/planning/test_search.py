"""The analytic screen and beam search behind the ``optimized`` strategy."""

from __future__ import annotations

import math

import pytest

from meshsim.planning.scoring import combine
from meshsim.planning.search import Estimator, search
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
    expected = combine(
        mtls_auc=sum(mtls) / 3,
        sensitive_mtls_auc=sum(sens) / 3,
        mean_exposure=1.0,
        max_exposure=1.0,
    )
    assert est.score(groups) == pytest.approx(expected)


def seeds_of(s, k=4):
    return [groups_of(s, generate(s, name, k)) for name in GENERATED]


def test_search_returns_only_new_assignments_that_estimate_better():
    s = wide()
    est = Estimator(s)
    seeds = seeds_of(s)
    best_seed = max(est.score(g) for g in seeds)
    found = search(s, seeds, estimator=Estimator(s))
    assert found, "the seeds of this graph can be improved"
    canonical = {tuple(tuple(sorted(g)) for g in seed) for seed in seeds}
    names = sorted(x.name for x in s.services)
    cap = math.ceil(1.5 * len(names) / 4)
    for groups in found:
        assert tuple(tuple(sorted(g)) for g in groups) not in canonical
        assert est.score(groups) > best_seed
        assert sorted(n for g in groups for n in g) == names
        assert all(groups) and len(groups) == 4
        assert max(len(g) for g in groups) <= max(cap, max(len(g) for sd in seeds for g in sd))
    scores = [est.score(g) for g in found]
    assert scores == sorted(scores, reverse=True)


def test_search_is_deterministic_and_respects_its_budget():
    s = wide()
    seeds = seeds_of(s)
    assert search(s, seeds) == search(s, seeds)
    est = Estimator(s)
    search(s, seeds, estimator=est, max_evaluations=30)
    assert est.evaluations <= 30 + 2 * len(s.services) * 4 + len(seeds)


def test_search_returns_nothing_when_no_move_helps():
    s = shop()
    single = [[["web", "api", "db", "ads", "pay"]]]  # one phase: no move keeps it non-empty
    assert search(s, single) == []
    assert search(s, []) == []
