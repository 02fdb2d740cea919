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


def test_the_progress_bar_says_how_long_is_left(monkeypatch):
    import io

    from meshsim.cli import common

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    err = Terminal()
    monkeypatch.setattr(common.sys, "stderr", err)
    clock = iter([100.0, 110.0, 130.0])  # start, then at 10% and 40%
    monkeypatch.setattr("time.monotonic", lambda: next(clock))
    update, close = common.progress_bar("simulating")
    update(0.1)  # 10 s for 10%: 90 s left
    update(0.4)  # 30 s for 40%: 45 s left
    close()
    frames = err.getvalue().split("\r")
    assert frames[1].startswith("simulating [###...") and frames[1].endswith("10%  ~2 min left")
    assert frames[2].rstrip().endswith("40%  ~45 s left")
    assert frames[-1] == "" and frames[-2].strip() == ""  # the bar is wiped at the end


def test_a_phase_run_alone_is_sized_with_the_baseline_that_judges_it(tmp_path, monkeypatch):
    from meshsim.cli import main, run

    sized: list[int | None] = []
    real = run.refuse_if_too_big

    def spy(scenario, workers, *, phases=None, plans=1):
        sized.append(phases)
        return real(scenario, workers, phases=phases, plans=plans)

    monkeypatch.setattr(run, "refuse_if_too_big", spy)
    path = tmp_path / "s.yaml"
    path.write_text(
        "services: [{name: a}]\nentrypoints: [{name: w, service: a, rate: 5/s}]\n"
        "rollout: {phases: [{name: p, services: [a]}]}\n"
        "simulation: {duration: 2s, warmup: 0s, replications: 1}\n"
    )
    assert main(["run", str(path), "--phase", "1", "--quiet"]) == 0
    assert main(["run", str(path), "--phase", "0", "--phase", "1", "--quiet"]) == 0
    assert sized == [2, 2]  # phase 1 and the baseline; then both asked for
