"""``sloMet`` (SPEC §11.1): declared SLOs, the baseline's default regression budget
(docs/model.md "SLOs"), and null when no SLO applies."""

from __future__ import annotations

import pytest

from meshsim.cli.run import format_table
from meshsim.sim.runner import run_scenario
from meshsim.sim.stats import slo_verdict
from models.results import EntrypointResult
from tests.conftest import build


def _base(p99: float, success: float) -> EntrypointResult:
    return EntrypointResult(
        requests=100,
        success_rate=success,
        good_rate=success,
        throughput_rps=10,
        slo_met=None,
        latency_ms={"p99": p99},
    )


@pytest.mark.parametrize(
    "p99, success, base, met",
    [
        # p99 budget: max(20% of the baseline's, 5 ms)
        (120.0, 1.0, _base(100.0, 1.0), True),  # +20% exactly
        (120.5, 1.0, _base(100.0, 1.0), False),
        (15.0, 1.0, _base(10.0, 1.0), True),  # +5 ms floor beats +20% (2 ms)
        (15.5, 1.0, _base(10.0, 1.0), False),
        # error budget: one point over the baseline's error rate
        (10.0, 0.97, _base(10.0, 0.98), True),
        (10.0, 0.969, _base(10.0, 0.98), False),
        (10.0, 0.0, _base(10.0, 1.0), False),  # every request failing is a miss
        # nothing declared and nothing to compare with: no verdict
        (10.0, 0.0, None, None),
    ],
)
def test_without_a_declared_slo_a_phase_is_judged_against_the_baseline(p99, success, base, met):
    assert slo_verdict(p99, success, (None, None), base) is met


def test_a_declared_slo_is_judged_on_its_own_fields_not_the_baseline():
    worse = _base(1.0, 1.0)  # a baseline the phase regresses far beyond
    assert slo_verdict(200.0, 0.95, (0.3, None), worse) is True  # latency only: 200 <= 300
    assert slo_verdict(200.0, 0.95, (None, 0.05), worse) is True  # errors only: 5% <= 5%
    assert slo_verdict(200.0, 0.95, (0.3, 0.01), worse) is False  # 5% > 1%
    assert slo_verdict(301.0, 1.0, (0.3, None), None) is False


def _strict_scenario():
    return build(
        [
            {"name": "a", "serviceTime": "0ms", "calls": [{"to": "b"}]},
            {"name": "b", "serviceTime": "1ms"},
        ],
        entrypoints=[{"name": "web", "service": "a", "rate": "10/s"}],
        rollout={
            "phases": [
                {
                    "name": "b-strict",
                    "services": ["b"],
                    "mtls": [{"scope": "service", "name": "b", "mode": "STRICT"}],
                },
                {"name": "a", "services": ["a"]},
            ]
        },
    )


def test_run_without_slo_gives_null_baseline_and_baseline_budget_verdicts():
    results = run_scenario(_strict_scenario())
    base, strict, both = (p.entrypoints["web"] for p in results.phases)
    assert base.success_rate == 1.0
    assert base.slo_met is None  # no SLO declared and nothing to compare the baseline with
    assert strict.success_rate == 0.0
    assert strict.slo_met is False  # 100 points of errors over the baseline's 0
    # meshing both ends adds well under 5 ms to a 1 ms p99, and nothing fails
    assert both.success_rate == 1.0
    assert both.slo_met is True
    dumped = results.model_dump(by_alias=True, mode="json")
    assert dumped["phases"][0]["entrypoints"]["web"]["sloMet"] is None
    rows = [line.split() for line in format_table(results).splitlines()[3:6]]
    assert [r[8] for r in rows] == ["—", "NO", "yes"]


def test_a_phase_run_alone_is_judged_as_in_the_whole_run():
    # the baseline is simulated (not reported) to judge the phase, so `run --phase 1`
    # gives the verdict the full run gives
    alone = run_scenario(_strict_scenario(), phase_indexes=[1])
    assert [p.index for p in alone.phases] == [1]
    assert alone.phases[0].entrypoints["web"].slo_met is False


def test_without_baseline_verdicts_no_slo_applies_outside_the_baseline():
    from meshsim import RunRequest, run_many

    request = RunRequest(_strict_scenario(), phase_indexes=(1,), baseline_verdicts=False)
    (results,) = run_many([request])
    assert results.phases[0].entrypoints["web"].slo_met is None


@pytest.mark.parametrize(
    "requests, base_requests, replications, met",
    [
        (20.0, 100.0, 1, False),  # 20 requests: judged (and +100% p99 is a miss)
        (19.0, 100.0, 1, None),  # 19: the p99 of a handful is its maximum, not judged
        (100.0, 19.0, 1, None),  # too few in the baseline it is compared with
        (6.67, 100.0, 3, False),  # 20 over three replications (6.67 each on average)
        (6.0, 100.0, 3, None),  # 18 over three
    ],
)
def test_without_a_declared_slo_a_handful_of_requests_is_not_judged(
    requests, base_requests, replications, met
):
    base = _base(100.0, 1.0).model_copy(update={"requests": base_requests})
    assert slo_verdict(200.0, 1.0, (None, None), base, replications, requests) is met


def test_a_declared_slo_is_judged_whatever_the_number_of_requests():
    assert slo_verdict(301.0, 1.0, (0.3, None), _base(1.0, 1.0), 1, 1.0) is False


def test_a_rare_entrypoint_gets_no_verdict_from_its_handful_of_requests():
    # 10 requests in 10 s: "web" is not judged; 30/s "busy" is (and meets its budget)
    scenario = _strict_scenario().model_copy(deep=True)
    doc = scenario.model_dump(by_alias=True, mode="json", exclude_none=True)
    doc["entrypoints"] = [
        {"name": "web", "service": "a", "rate": "1/s", "arrival": "constant"},
        {"name": "busy", "service": "a", "rate": "30/s"},
    ]
    doc["rollout"]["phases"] = [{"name": "a", "services": ["a", "b"]}]
    doc["simulation"]["duration"] = "10s"
    from models import Scenario

    results = run_scenario(Scenario.model_validate(doc))
    web, busy = (results.phases[1].entrypoints[e] for e in ("web", "busy"))
    assert web.requests == pytest.approx(10, abs=1) and web.slo_met is None
    assert busy.requests > 200 and busy.slo_met is True
