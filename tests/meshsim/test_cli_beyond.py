"""SPEC §20 figures in the ``run`` table: denials and cost columns, canary lines."""

from __future__ import annotations

from meshsim.cli.run import extra_columns, format_table
from models.results import EntrypointResult, PhaseResult, ReplicaGroupResult, Results, ServiceResult


def phase(index: int, **extra) -> PhaseResult:
    svc = ServiceResult(
        calls=12,
        attempts=12,
        retries=0,
        errors=0,
        timeouts=0,
        rejected=0,
        utilization=0.1,
        ejections=0,
        latency_ms={},
        meshed=ReplicaGroupResult(replicas=1, attempts=5, failures=1)
        if extra.get("canary")
        else None,
        plain=ReplicaGroupResult(replicas=3, attempts=7, failures=0)
        if extra.get("canary")
        else None,
    )
    return PhaseResult(
        index=index,
        name=f"p{index}",
        meshed=[],
        onboarded=[],
        entrypoints={
            "web": EntrypointResult(
                requests=10,
                success_rate=1.0,
                good_rate=1.0,
                throughput_rps=10.0,
                slo_met=None,
                latency_ms={"p50": 1.0, "p99": 2.0},
            )
        },
        services={"cart": svc},
        edges=[],
        retry_amplification=1.0,
        mtls_coverage=0.0,
        policy_coverage=0.0,
        telemetry_coverage=0.0,
        proxies=1,
        proxy_cpu_cores=0.5,
        proxy_memory_mi_b=2048.0,
        exposure=0.0,
        **extra,
    )


def results(*phases: PhaseResult) -> Results:
    return Results(
        meshsim_version="t",
        scenario="s",
        seed=1,
        replications=1,
        duration_s=1,
        warmup_s=0,
        phases=list(phases),
    )


def test_no_extra_columns_without_cost_or_authz() -> None:
    res = results(phase(0), phase(1))
    assert extra_columns(res) == ()
    assert "cost/month" not in format_table(res)


def test_cost_and_denials_columns_and_canary_lines() -> None:
    res = results(
        phase(0, proxy_cost_per_month=0.0),
        phase(1, proxy_cost_per_month=21.9, denials=4.0, canary={"cart": 0.25}),
    )
    assert extra_columns(res) == ("denials", "cost/month")
    text = format_table(res)
    header = next(line for line in text.splitlines() if line.startswith("#"))
    assert header.split()[-2:] == ["denials", "cost/month"]
    assert "plain 3 replica(s): 7 tries, 0 failed" in text
    assert "canary p1: cart 25% -- meshed 1 replica(s): 5 tries, 1 failed" in text
    # (0.5 vCPU × 0.04 + 2 GiB × 0.005) × 730 = 21.90, as the scenario's prices give
    assert any(line.split()[-1] == "21.90" for line in text.splitlines())
