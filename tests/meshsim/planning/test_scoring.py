"""The ordering score (SPEC §11.5) on hand-built phase results."""

from __future__ import annotations

import pytest

from meshsim.planning.scoring import PENALTIES, WEIGHTS, breakdown, combine, rank, score_ordering
from models.results import OrderingResult, PhaseResult
from tests.meshsim.planning.planning_scenarios import shop


def phase(
    index,
    *,
    exposure=0.0,
    mtls=0.0,
    cpu=0.0,
    p99=10.0,
    slo_met=True,
    breakages=0.0,
    pay_mtls=0.0,
    pay_attempts=10.0,
):
    """A phase of the shop scenario: one entrypoint 'users', an edge api -> pay."""
    return PhaseResult.model_validate(
        {
            "index": index,
            "name": "baseline" if index == 0 else f"p{index}",
            "meshed": [],
            "onboarded": [],
            "entrypoints": {
                "users": {
                    "requests": 100,
                    "successRate": 1.0,
                    "goodRate": 1.0,
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
                {
                    "from": "api",
                    "to": "db",
                    "calls": 100,
                    "attempts": 100,
                    "failures": 0,
                    "mtls": 1.0,
                    "policy": False,
                },
            ],
            "retryAmplification": 1.0,
            "mtlsCoverage": mtls,
            "policyCoverage": 0.0,
            "telemetryCoverage": 0.0,
            "proxies": 0,
            "proxyCpuCores": cpu,
            "proxyMemoryMiB": 0.0,
            "exposure": exposure,
            "breakages": breakages,
        }
    )


def ordering(name, phases, scenario):
    return OrderingResult(
        name=name, strategy="named", phases=phases, score=score_ordering(scenario, phases)
    )


def test_weights_add_up_to_100_and_a_perfect_plan_scores_100():
    assert sum(WEIGHTS.values()) == pytest.approx(100.0)
    assert combine(mtls_auc=1, sensitive_mtls_auc=1, mean_exposure=0, max_exposure=0) == 100
    assert combine(mtls_auc=1, sensitive_mtls_auc=None, mean_exposure=0, max_exposure=0) == 100


def test_score_by_hand():
    s = shop()  # SLO latencyP99 200 ms; pay is sensitive
    phases = [
        phase(0, p99=10.0),
        phase(1, exposure=0.2, mtls=0.5, cpu=0.2, p99=30.0, pay_mtls=0.0),
        phase(2, exposure=1.0, mtls=1.0, cpu=0.4, p99=20.0, pay_mtls=1.0),
    ]
    score = score_ordering(s, phases)
    assert score.mtls_auc == pytest.approx(0.75)
    assert score.sensitive_mtls_auc == pytest.approx(0.5)  # @users edge is not counted
    assert score.mean_exposure == pytest.approx(0.6)
    assert score.max_exposure == pytest.approx(1.0)
    assert score.p99_delta_ms == pytest.approx(20.0)
    assert score.peak_proxy_cpu_cores == pytest.approx(0.4)
    assert (score.breakages, score.slo_violations) == (0, 0)
    expected = 25 * 0.75 + 25 * 0.5 + 20 * (1 - 0.6) + 10 * 0 + 15 * (1 - 20.0 / 200.0) + 5 * 1.0
    assert score.score == pytest.approx(expected)
    assert sum(breakdown(s, phases).values()) == pytest.approx(expected)


def test_sensitive_coverage_is_weighted_by_attempts():
    s = shop()
    phases = [phase(0), phase(1, pay_mtls=1.0, pay_attempts=30.0)]
    assert score_ordering(s, phases).sensitive_mtls_auc == pytest.approx(1.0)


def test_without_sensitive_services_their_points_go_to_mtls():
    s = shop()
    data = s.model_dump(by_alias=True, exclude_unset=True)
    for svc in data["services"]:
        svc.pop("sensitive", None)
    plain = type(s).model_validate(data)
    phases = [phase(0), phase(1, mtls=0.4)]
    points = breakdown(plain, phases)
    assert points["mtlsAuc"] == pytest.approx(50 * 0.4)
    assert points["sensitiveMtlsAuc"] == 0.0


def test_latency_share_and_cpu_overshoot_are_clamped():
    s = shop()
    slow = [phase(0, p99=10.0), phase(1, p99=1000.0, cpu=3.0), phase(2, p99=10.0, cpu=1.0)]
    points = breakdown(s, slow)
    assert points["latency"] == 0.0  # +990 ms against a 200 ms SLO: all 15 points lost
    assert points["proxyCpu"] == 0.0  # the peak is 3x the finished mesh
    faster = [phase(0, p99=50.0), phase(1, p99=20.0, cpu=1.0)]
    assert breakdown(s, faster)["latency"] == pytest.approx(15.0)
    assert score_ordering(s, faster).p99_delta_ms == pytest.approx(-30.0)


def test_breakages_and_slo_misses_cost_points_and_rank_last():
    s = shop()
    clean = [phase(0), phase(1, exposure=1.0, mtls=0.0)]
    broken = [phase(0), phase(1, exposure=0.0, mtls=1.0, pay_mtls=1.0, breakages=12.0)]
    missed = [phase(0), phase(1, exposure=0.0, mtls=1.0, pay_mtls=1.0, slo_met=False)]
    orderings = [
        ordering("broken", broken, s),
        ordering("missed", missed, s),
        ordering("clean", clean, s),
    ]
    by_name = {o.name: o.score for o in orderings}
    assert by_name["broken"].breakages == 1
    assert by_name["missed"].slo_violations == 1
    assert breakdown(s, broken)["breakage"] == -PENALTIES["breakage"]
    assert breakdown(s, missed)["sloViolation"] == -PENALTIES["sloViolation"]
    # Without the penalties the broken plan would win on points; it still ranks last.
    assert by_name["broken"].score + PENALTIES["breakage"] > by_name["clean"].score
    assert rank(orderings) == ["clean", "missed", "broken"]


def test_rank_breaks_ties_by_name_and_needs_a_phase():
    s = shop()
    same = [phase(0), phase(1, exposure=0.5)]
    assert rank([ordering("b", same, s), ordering("a", same, s)]) == ["a", "b"]
    with pytest.raises(ValueError, match="at least one phase"):
        score_ordering(s, [phase(0)])
