"""The ordering score (SPEC §11.5 revised) on hand-built phase results.

Every expected number is worked out by hand from the formulas of docs/planning.md.
"""

from __future__ import annotations

import pytest

from meshsim.planning.compare import _tied
from meshsim.planning.scoring import (
    WEIGHTS,
    Scorer,
    constraint_violations,
    goodness,
    paired_delta,
    rank,
    score_ordering,
    weights_of,
)
from models import SCORE_TERMS
from models.results import OrderingResult, PhaseResult
from tests.meshsim.planning.planning_scenarios import shop


def phase(
    index,
    *,
    exposure=0.0,
    exposure_ci=0.0,
    mtls=0.0,
    cpu=0.0,
    p99=10.0,
    success=1.0,
    amp=1.0,
    slo_met=True,
    breakages=0.0,
    pay_mtls=0.0,
    pay_attempts=10.0,
    onboarded=(),
):
    """A phase of the shop scenario: one entrypoint 'users', an edge api -> pay."""
    return PhaseResult.model_validate(
        {
            "index": index,
            "name": "baseline" if index == 0 else f"p{index}",
            "meshed": [],
            "onboarded": list(onboarded),
            "entrypoints": {
                "users": {
                    "requests": 100,
                    "successRate": success,
                    "goodRate": success,
                    "throughputRps": 40.0,
                    "sloMet": slo_met,
                    "latencyMs": {"mean": 5.0, "p50": 4.0, "p90": 8.0, "p99": p99, "max": 20.0},
                }
            },
            "services": {},
            "edges": [
                {
                    "from": "api",
                    "to": "pay",
                    "calls": pay_attempts,
                    "attempts": pay_attempts,
                    "failures": 0,
                    "mtls": pay_mtls,
                    "policy": False,
                },
                {
                    "from": "@users",
                    "to": "pay",
                    "calls": 90,
                    "attempts": 90,
                    "failures": 0,
                    "mtls": 0.0,
                    "policy": False,
                },
            ],
            "retryAmplification": amp,
            "mtlsCoverage": mtls,
            "policyCoverage": 0.0,
            "telemetryCoverage": 0.0,
            "proxies": 0,
            "proxyCpuCores": cpu,
            "proxyMemoryMiB": 0.0,
            "exposure": exposure,
            "breakages": breakages,
            "ci95": {"exposure": exposure_ci},
        }
    )


def ordering(name, phases, score):
    return OrderingResult(name=name, strategy="named", phases=phases, score=score)


def scorer(scenario, plans):
    """A Scorer over ``plans`` (name -> list of replications' phase lists)."""
    return Scorer(scenario, plans, {n: reps[0] for n, reps in plans.items()})


def test_default_weights_add_up_to_100_and_name_every_term():
    assert tuple(WEIGHTS) == SCORE_TERMS
    assert sum(WEIGHTS.values()) == pytest.approx(100.0)


def worked_example():
    """The worked example of docs/planning.md §4 (shop: SLO p99 200 ms, pay sensitive)."""
    return [
        phase(0, p99=10.0),
        phase(1, exposure=0.2, mtls=0.5, cpu=0.2, p99=30.0, success=0.99, amp=1.5),
        phase(2, exposure=1.0, mtls=1.0, cpu=0.4, p99=20.0, pay_mtls=1.0),
    ]


def test_each_term_by_hand():
    g = goodness(shop(), worked_example(), cpu_ref=0.6)
    assert g["mtlsAuc"] == pytest.approx((0.5 + 1.0) / 2)
    assert g["sensitiveMtlsAuc"] == pytest.approx((0.0 + 1.0) / 2)  # @users edge not counted
    assert g["pilotExposure"] == pytest.approx(1 - 0.2)
    assert g["meanExposure"] == pytest.approx(1 - (0.2 + 1.0) / 2)
    # L = 1 / (1 + (p99 - 10 ms) / 200 ms): phase 1 +20 ms, phase 2 +10 ms
    assert g["endLatency"] == pytest.approx(1 / 1.05)
    assert g["phaseLatency"] == pytest.approx((1 / 1.1 + 1 / 1.05) / 2)
    # E = 1 / (1 + extra error rate / 1%): phase 1 loses 1% of requests
    assert g["endErrors"] == pytest.approx(1.0)
    assert g["phaseErrors"] == pytest.approx((0.5 + 1.0) / 2)
    # A = baseline amplification / amplification
    assert g["endRetries"] == pytest.approx(1.0)
    assert g["phaseRetries"] == pytest.approx((1 / 1.5 + 1.0) / 2)
    # C / (C + end-state proxy CPU) with the yardstick C = 0.6
    assert g["endProxyCpu"] == pytest.approx(0.6 / (0.6 + 0.4))


def test_a_lone_ordering_counts_every_term_and_its_points_sum_to_the_score():
    s = shop()
    score = score_ordering(s, worked_example())
    expected = {
        "mtlsAuc": 15 * 0.75,
        "sensitiveMtlsAuc": 10 * 0.5,
        "pilotExposure": 15 * 0.8,
        "meanExposure": 10 * 0.4,
        "endLatency": 15 / 1.05,
        "endErrors": 10 * 1.0,
        "endRetries": 5 * 1.0,
        "endProxyCpu": 5 * 0.5,  # alone, its own end state is the yardstick: 0.4 / 0.8
        "phaseLatency": 5 * (1 / 1.1 + 1 / 1.05) / 2,
        "phaseErrors": 5 * 0.75,
        "phaseRetries": 5 * (1 / 1.5 + 1) / 2,
    }
    assert score.terms == pytest.approx(expected)
    assert score.score == pytest.approx(sum(expected.values()))
    assert score.p99_delta_ms == pytest.approx(20.0)
    assert score.peak_proxy_cpu_cores == pytest.approx(0.4)
    assert (score.breakages, score.slo_violations) == (0, 0)


def test_without_sensitive_services_their_points_go_to_mtls():
    s = shop()
    data = s.model_dump(by_alias=True, exclude_unset=True)
    for svc in data["services"]:
        svc.pop("sensitive", None)
    plain = type(s).model_validate(data)
    w = weights_of(plain)
    assert (w["mtlsAuc"], w["sensitiveMtlsAuc"]) == (25.0, 0.0)
    score = score_ordering(plain, [phase(0), phase(1, mtls=0.4)])
    assert score.terms["mtlsAuc"] == pytest.approx(25 * 0.4)
    assert score.terms["sensitiveMtlsAuc"] == 0.0


def test_weights_come_from_the_scenario():
    s = shop(rollout={"scoreWeights": {"endLatency": 40, "pilotExposure": 0}})
    w = weights_of(s)
    assert (w["endLatency"], w["pilotExposure"], w["endErrors"]) == (40.0, 0.0, 10.0)
    score = score_ordering(s, worked_example())
    assert score.terms["endLatency"] == pytest.approx(40 / 1.05)
    assert score.terms["pilotExposure"] == 0.0


def test_less_proxy_cpu_is_never_worse():
    s = shop()
    # "cut" mid-rollout peaks at 1.0 vCPU and ends at 0.3; "flat" stays at 0.6: the old
    # score punished the cut for its peak above the end state; now the end state counts
    cut = [phase(0), phase(1, cpu=1.0), phase(2, cpu=0.3)]
    flat = [phase(0), phase(1, cpu=0.6), phase(2, cpu=0.6)]
    sc = scorer(s, {"cut": [cut], "flat": [flat]})
    ref = (0.3 + 0.6) / 2
    assert sc.cpu_ref == pytest.approx(ref)
    assert sc.score("cut").terms["endProxyCpu"] == pytest.approx(5 * ref / (ref + 0.3))
    assert sc.score("flat").terms["endProxyCpu"] == pytest.approx(5 * ref / (ref + 0.6))
    assert rank([ordering(n, [], sc.score(n)) for n in ("flat", "cut")]) == ["cut", "flat"]
    values = [
        goodness(s, [phase(0), phase(1, cpu=c)], cpu_ref=0.5)["endProxyCpu"]
        for c in (0.0, 0.1, 0.5, 2.0, 10.0)
    ]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)


def test_lower_p99_errors_and_retries_are_never_worse():
    s = shop()
    base = phase(0, p99=50.0)
    p99 = [goodness(s, [base, phase(1, p99=x)])["endLatency"] for x in (20, 50, 60, 250, 5000)]
    assert p99[:2] == [1.0, 1.0]  # faster than the baseline: nothing lost
    assert p99[1:] == sorted(p99[1:], reverse=True) and len(set(p99[1:])) == 4
    err = [goodness(s, [base, phase(1, success=x)])["endErrors"] for x in (1.0, 0.99, 0.5)]
    assert err == pytest.approx([1.0, 0.5, 1 / 51])
    amp = [goodness(s, [base, phase(1, amp=x)])["endRetries"] for x in (1.0, 1.06, 1.6, 27)]
    assert amp == pytest.approx([1.0, 1 / 1.06, 1 / 1.6, 1 / 27])


def test_a_term_equal_for_all_orderings_weighs_nothing():
    s = shop()
    a = [phase(0), phase(1, exposure=0.5, mtls=0.5, p99=30.0)]
    b = [phase(0), phase(1, exposure=0.5, mtls=0.5, p99=110.0)]
    sc = scorer(s, {"a": [a], "b": [b]})
    weights = sc.effective_weights()
    assert {t for t, w in weights.items() if w > 0} == {"endLatency", "phaseLatency"}
    for name in ("a", "b"):
        terms = sc.score(name).terms
        assert terms["mtlsAuc"] == terms["pilotExposure"] == terms["endProxyCpu"] == 0.0
    # 20 points (15 + 5) of 1 / (1 + Δ / 200 ms): Δ = 20 ms vs 100 ms
    assert sc.score("a").score == pytest.approx(20 / 1.1)
    assert sc.score("b").score == pytest.approx(20 / 1.5)


def test_identical_plans_are_tied_and_different_ones_get_a_paired_interval():
    s = shop()
    reps = [
        [phase(0, p99=10.0), phase(1, p99=30.0)],
        [phase(0, p99=12.0), phase(1, p99=52.0)],
    ]
    sc = scorer(s, {"a": reps, "b": [list(r) for r in reps]})
    assert sc.scores("a") == sc.scores("b")
    assert _tied(sc, "a", "b") == (0.0, 0.0, True)
    worse = [
        [phase(0, p99=10.0), phase(1, p99=50.0)],
        [phase(0, p99=12.0), phase(1, p99=92.0)],
    ]
    sc = scorer(s, {"a": reps, "b": worse})
    # only the p99 terms differ; per replication (15 + 5) / (1 + Δ / 200)
    a = [20 / 1.1, 20 / 1.2]
    b = [20 / 1.2, 20 / 1.4]
    assert sc.scores("a") == pytest.approx(a)
    assert sc.scores("b") == pytest.approx(b)
    delta, half, tied = _tied(sc, "a", "b")
    diffs = [b[0] - a[0], b[1] - a[1]]
    mean = sum(diffs) / 2
    sd = abs(diffs[0] - diffs[1]) / 2**0.5
    assert delta == pytest.approx(mean)
    assert half == pytest.approx(12.7062047 * sd / 2**0.5)  # t(0.975, 1) = 12.706
    assert tied == (abs(mean) <= half)


def test_paired_delta_over_common_replications():
    assert paired_delta([3.0, 5.0, 9.0], [1.0, 2.0]) == pytest.approx((2.5, 12.7062047 * 0.5))
    assert paired_delta([2.0], [1.0]) == (1.0, 0.0)


def test_constraints_are_marked_by_name():
    s = shop(rollout={"constraints": {"maxServicesPerPhase": 2, "first": ["ads"], "last": ["web"]}})
    keeps = [
        phase(0),
        phase(1, exposure=0.12, exposure_ci=0.03, onboarded=["ads"]),  # within the noise
        phase(2, exposure=1.0, onboarded=["db", "pay"]),
        phase(3, exposure=1.0, onboarded=["api", "web"]),
    ]
    assert constraint_violations(s, keeps) == []
    breaks = [
        phase(0),
        phase(1, exposure=0.3, exposure_ci=0.05, onboarded=["db"]),
        phase(2, exposure=1.0, onboarded=["ads", "pay", "web"]),
        phase(3, exposure=1.0, onboarded=["api"]),
    ]
    assert constraint_violations(s, breaks) == [
        "pilotMaxExposure",
        "maxServicesPerPhase",
        "first",
        "last",
    ]


def test_breaking_a_limit_ranks_last_whatever_the_points():
    s = shop()
    clean = [phase(0), phase(1, exposure=0.05, mtls=0.0)]
    pilot = [phase(0), phase(1, exposure=1.0, mtls=1.0, pay_mtls=1.0)]
    broken = [phase(0), phase(1, exposure=0.0, mtls=1.0, pay_mtls=1.0, breakages=12.0)]
    missed = [phase(0), phase(1, exposure=0.0, mtls=1.0, pay_mtls=1.0, slo_met=False)]
    plans = {"clean": clean, "pilot": pilot, "broken": broken, "missed": missed}
    sc = scorer(s, {n: [p] for n, p in plans.items()})
    scores = {n: sc.score(n) for n in plans}
    assert scores["pilot"].violations == ["pilotMaxExposure"]
    assert scores["broken"].breakages == 1 and scores["missed"].slo_violations == 1
    assert scores["clean"].violations == []
    assert scores["missed"].score > scores["clean"].score  # more points, still after it
    ranked = rank([ordering(n, plans[n], scores[n]) for n in plans])
    assert ranked[0] == "clean"
    assert ranked[1:] == sorted(ranked[1:], key=lambda n: -scores[n].score)


def test_rank_breaks_ties_by_name_and_needs_a_phase():
    s = shop()
    same = [phase(0), phase(1, exposure=0.05)]
    score = score_ordering(s, same)
    assert rank([ordering("b", same, score), ordering("a", same, score)]) == ["a", "b"]
    with pytest.raises(ValueError, match="at least one phase"):
        score_ordering(s, [phase(0)])
