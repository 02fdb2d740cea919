"""Averaging replications: every metric is the mean with a Student-t 95% half-width."""

from __future__ import annotations

import math
import statistics

import pytest

from meshsim import RunRequest, run_many, run_scenario
from meshsim.sim.samples import EdgeSample, LatencySample, PhaseSample, numeric_fields
from meshsim.sim.stats import mean_ci
from tests.conftest import build

# Student t with 2 degrees of freedom has the closed-form quantile (2p - 1) / sqrt(2p(1 - p))
T975 = {2: 0.95 / math.sqrt(2 * 0.975 * 0.025)}
SERVICE_FIELDS = (
    "calls",
    "attempts",
    "retries",
    "errors",
    "timeouts",
    "rejected",
    "utilization",
    "ejections",
)
PHASE_FIELDS = (
    "retry_amplification",
    "mtls_coverage",
    "policy_coverage",
    "telemetry_coverage",
    "proxies",
    "proxy_cpu_cores",
    "proxy_memory_mi_b",
    "exposure",
    "breakages",
)
LATENCY = ("mean", "p50", "p90", "p99", "max")


def three_replications():
    """a always calls b and rarely c: c's edge is missing in some replications."""
    services = [
        {
            "name": "a",
            "serviceTime": {"dist": "exponential", "mean": "2ms"},
            "errorRate": 0.05,
            "calls": [{"to": "b"}, {"to": "c", "probability": 0.04}],
        },
        {"name": "b", "serviceTime": {"dist": "lognormal", "median": "1ms", "p99": "6ms"}},
        {"name": "c", "serviceTime": "3ms"},
    ]
    return build(
        services,
        rollout={
            "phases": [{"name": "ab", "services": ["a", "b"]}, {"name": "c", "services": ["c"]}]
        },
        simulation={"replications": 3, "duration": "3s", "seed": 11},
    )


def mean(values):
    return sum(values) / len(values)


def half_width(values):
    return T975[len(values) - 1] * statistics.stdev(values) / math.sqrt(len(values))


def close(value):
    return pytest.approx(value, rel=1e-12, abs=1e-12)


def test_aggregate_is_the_mean_and_student_t_half_width_of_each_replication():
    scenario = three_replications()
    got = run_scenario(scenario)
    singles = run_many([RunRequest(scenario, replication_indexes=(r,)) for r in range(3)])
    edge_seen = set()
    for k, phase in enumerate(got.phases):
        reps = [s.phases[k] for s in singles]
        for name in PHASE_FIELDS:
            assert getattr(phase, name) == close(mean([getattr(r, name) for r in reps])), name
        assert phase.ci95 == {
            "retryAmplification": close(half_width([r.retry_amplification for r in reps])),
            "exposure": close(half_width([r.exposure for r in reps])),
            "proxyCpuCores": close(half_width([r.proxy_cpu_cores for r in reps])),
        }
        entry, entries = phase.entrypoints["web"], [r.entrypoints["web"] for r in reps]
        expected_ci = {}
        for name in LATENCY:
            values = [getattr(e.latency_ms, name) for e in entries]
            assert getattr(entry.latency_ms, name) == close(mean(values))
            expected_ci[f"latencyMs.{name}"] = close(half_width(values))
        for name, key in [
            ("requests", None),
            ("success_rate", "successRate"),
            ("good_rate", "goodRate"),
            ("throughput_rps", "throughputRps"),
        ]:
            values = [getattr(e, name) for e in entries]
            assert getattr(entry, name) == close(mean(values)), name
            if key:
                expected_ci[key] = close(half_width(values))
        assert entry.ci95 == expected_ci
        assert list(entry.ci95) == list(expected_ci)  # the document's key order is kept
        for sname, service in phase.services.items():
            runs = [r.services[sname] for r in reps]
            for name in SERVICE_FIELDS:
                assert getattr(service, name) == close(mean([getattr(s, name) for s in runs]))
            for name in LATENCY:  # over the replications where it was called at all
                values = [getattr(s.latency_ms, name) for s in runs if s.latency_ms.mean]
                assert getattr(service.latency_ms, name) == (
                    close(mean(values)) if values else None
                )
        edges = {(e.from_, e.to): e for e in phase.edges}
        for key, edge in edges.items():
            runs = [{(e.from_, e.to): e for e in r.edges}.get(key) for r in reps]
            edge_seen.add(sum(r is None for r in runs))
            for name in ("calls", "attempts", "failures", "breakages"):  # absent = 0
                assert getattr(edge, name) == close(
                    mean([getattr(r, name) if r else 0 for r in runs])
                )
            assert edge.mtls == close(mean([r.mtls for r in runs if r]))  # over traffic only
            assert edge.policy == any(r.policy for r in runs if r)
    assert {0} < edge_seen, "the rare edge a -> c should be missing in some replication"


def test_numeric_fields_are_the_numbers_of_each_record():
    assert numeric_fields(LatencySample) == LATENCY
    assert numeric_fields(EdgeSample) == (
        "calls",
        "attempts",
        "failures",
        "mtls",
        "breakages",
        "denials",  # SPEC §20; reported only where an AuthorizationPolicy is in force
    )
    assert set(numeric_fields(PhaseSample)) == set(PHASE_FIELDS) - {"exposure"} | {"denials"}


def test_mean_ci_skips_what_is_undefined():
    idle = EdgeSample(calls=0, attempts=0, failures=0, mtls=None, policy=None, breakages=0)
    busy = EdgeSample(calls=4, attempts=6, failures=1, mtls=0.5, policy=True, breakages=2)
    est = mean_ci([busy, idle, None])
    assert est["calls"].values == (4, 0) and est["calls"].mean == 2.0
    assert est["mtls"].values == (0.5,) and est["mtls"].ci95 == 0.0
    assert mean_ci([None, None]) == {}


@pytest.mark.parametrize(
    ("df", "quantile"),
    # published two-sided 95% values (NIST/SEMATECH e-Handbook, table 1.3.6.7.2)
    [
        (1, 12.706),
        (2, 4.303),
        (3, 3.182),
        (4, 2.776),
        (5, 2.571),
        (7, 2.365),
        (10, 2.228),
        (15, 2.131),
        (20, 2.086),
        (30, 2.042),
        (50, 2.009),
        (100, 1.984),
    ],
)
def test_student_t_quantile_matches_the_published_table(df, quantile):
    from meshsim.sim.stats import _t975

    assert round(_t975(df), 3) == quantile


def test_student_t_quantile_of_two_degrees_is_the_closed_form():
    from meshsim.sim.stats import _t975

    assert _t975(2) == pytest.approx(T975[2], abs=1e-12)


def _one(requests: int, ok: int, p99: float = 10.0):
    from meshsim.sim.samples import EntrySample

    if not requests:
        return EntrySample(0, None, None, 0.0, None)
    latency = LatencySample(mean=p99, p50=p99, p90=p99, p99=p99, max=p99)
    return EntrySample(requests, ok / requests, ok / requests, ok / 10.0, latency)


def test_a_replication_without_requests_is_left_out_of_the_entry_rates():
    from meshsim.sim.stats import _entry

    # an entrypoint at 0.005/s: one request in one of three replications, and it succeeded
    result = _entry([_one(0, 0), _one(1, 1), _one(0, 0)], (None, None), many=True)
    assert result.requests == pytest.approx(1 / 3)
    assert result.success_rate == 1.0 and result.good_rate == 1.0  # not 1/3
    assert result.ci95["successRate"] == 0.0  # one value: no spread to estimate
    # two replications with requests: the mean of their rates, each replication equal
    result = _entry([_one(4, 3), _one(0, 0), _one(2, 1)], (None, None), many=True)
    assert result.success_rate == pytest.approx((0.75 + 0.5) / 2)


def test_an_entrypoint_without_any_request_failed_none():
    from meshsim.sim.stats import _entry

    result = _entry([_one(0, 0), _one(0, 0)], (None, 0.01), many=True)
    assert result.requests == 0 and result.success_rate == 1.0
    assert result.latency_ms.p99 is None and result.slo_met is True


def test_a_run_where_an_entrypoint_gets_no_request_reports_it_as_not_failing():
    from models import Scenario

    scenario = Scenario.model_validate(
        {
            "services": [{"name": "a", "serviceTime": "1ms"}],
            "entrypoints": [
                {"name": "busy", "service": "a", "rate": "50/s"},
                {"name": "rare", "service": "a", "rate": "0.001/s"},
            ],
            "simulation": {"duration": "4s", "warmup": "0s", "replications": 2},
        }
    )
    rare = run_scenario(scenario).phases[0].entrypoints["rare"]
    assert rare.requests == 0  # 0.001/s for 4 s: no arrival in either replication
    assert rare.success_rate == 1.0 and rare.latency_ms.p99 is None  # was 0% success
