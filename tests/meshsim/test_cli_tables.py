"""``run``'s table with many entrypoints (worst N, totals, --entrypoint, --all) and
``meshsim capacity``."""

from __future__ import annotations

import argparse
import json

import pytest
import yaml

from meshsim.cli import main
from meshsim.cli.run import entrypoint_choice, format_table, worst_entrypoints
from meshsim.errors import SimulationError
from models.results import EntrypointResult, PhaseResult, Results
from tests.conftest import build


def _entry(requests: float, success: float, p99: float, met: bool) -> EntrypointResult:
    return EntrypointResult(
        requests=requests,
        success_rate=success,
        good_rate=success,
        throughput_rps=requests / 10,
        slo_met=met,
        latency_ms={"mean": p99 / 3, "p50": p99 / 4, "p99": p99},
    )


def _phase(index: int, entries: dict[str, EntrypointResult]) -> PhaseResult:
    return PhaseResult(
        index=index,
        name="baseline" if index == 0 else f"p{index}",
        meshed=[],
        onboarded=[],
        entrypoints=entries,
        services={},
        edges=[],
        retry_amplification=1.0,
        mtls_coverage=0.0,
        policy_coverage=0.0,
        telemetry_coverage=0.0,
        proxies=0,
        proxy_cpu_cores=0.0,
        proxyMemoryMiB=0.0,
        exposure=0.0,
    )


def _results(n: int) -> Results:
    # entry e{i}: 100 requests, success 1 - i/100 in the baseline; phase 1 makes e3 the worst
    base = {f"e{i}": _entry(100, 1 - i / 100, 10.0 + i, True) for i in range(n)}
    later = dict(base)
    later["e3"] = _entry(100, 0.5, 900.0, False)
    return Results(
        meshsim_version="t", scenario="many", seed=1, replications=1, duration_s=10, warmup_s=0,
        phases=[_phase(0, base), _phase(1, later)],
    )  # fmt: skip


def _rows(table: str, phase: str) -> list[list[str]]:
    return [line.split() for line in table.splitlines() if line.split()[1:2] == [phase]]


def test_worst_ten_of_fifteen_then_a_totals_row():
    results = _results(15)
    # worst = lowest success in any phase: e3 (0.5), then e14, e13, ... e6 (e3 counted once)
    expected = ["e3", "e14", "e13", "e12", "e11", "e10", "e9", "e8", "e7", "e6"]
    assert worst_entrypoints(results, 10) == expected
    table = format_table(results)
    assert "10 worst (lowest ok %, then highest p99) of 15 entrypoints" in table
    rows = _rows(table, "baseline")
    assert [r[3] for r in rows[:10]] == expected
    total = rows[10]
    # total of 15: 1500 requests, success = mean of 1 - i/100 over i < 15 = 0.93
    assert total[3:6] == ["total", "of", "15"]
    assert total[6:8] == ["1500", "93.00"]
    assert total[9:11] == ["24.0", "15/15"]  # the highest p99 (e14: 24 ms), SLOs met
    later_total = _rows(table, "p1")[10]
    # phase 1: e3 at 0.5 instead of 0.97 -> (1395 - 47) / 1500
    assert later_total[7] == f"{(93.0 * 15 - 47) / 15:.2f}"
    assert later_total[9:11] == ["900.0", "14/15"]


def test_entrypoints_without_requests_are_not_the_worst():
    results = _results(12)
    for phase in results.phases:
        phase.entrypoints["e5"] = _entry(0, 0.0, 0.0, True)
    ranked = worst_entrypoints(results, None)
    assert ranked[-1] == "e5" and ranked[0] == "e3"
    row = _rows(format_table(results, entrypoints=["e5"]), "baseline")[0]
    assert row[3:6] == ["e5", "0", "-"]  # no requests: no success rate to show


def test_all_and_chosen_entrypoints():
    results = _results(15)
    assert len(_rows(format_table(results, worst=None), "baseline")) == 16
    table = format_table(results, entrypoints=["e1", "e0"])
    assert [r[3] for r in _rows(table, "baseline")] == ["e1", "e0", "total"]
    assert "2 chosen of 15 entrypoints" in table


def test_few_entrypoints_keep_their_order_and_one_has_no_total():
    results = _results(3)
    assert [r[3] for r in _rows(format_table(results), "baseline")] == ["e0", "e1", "e2", "total"]
    one = _results(1)
    assert [r[3] for r in _rows(format_table(one), "baseline")] == ["e0"]


def test_entrypoint_options():
    ns = argparse.Namespace
    assert entrypoint_choice(ns(entrypoint=["b", "a", "b"]), ["a", "b"]) == {
        "entrypoints": ["b", "a"]
    }
    assert entrypoint_choice(ns(entrypoint=None, all=True, worst=3), ["a"]) == {"worst": None}
    assert entrypoint_choice(ns(entrypoint=None, all=False, worst=3), ["a"]) == {"worst": 3}
    with pytest.raises(SimulationError, match="unknown entrypoint 'c'"):
        entrypoint_choice(ns(entrypoint=["c"]), ["a", "b"])
    with pytest.raises(SimulationError, match="--worst must be at least 1"):
        entrypoint_choice(ns(entrypoint=None, all=False, worst=0), ["a"])


def _scenario_file(tmp_path, rate: float = 50):
    s = build(
        [
            {"name": "a", "serviceTime": "2ms", "calls": [{"to": "b", "count": 3}]},
            {"name": "b", "serviceTime": "10ms", "replicas": 2, "concurrency": 4},
        ],
        entrypoints=[{"name": "web", "service": "a", "rate": rate}],
        simulation={"duration": "2s", "warmup": "0s"},
    )
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(s.model_dump(mode="json", by_alias=True, exclude_unset=True)))
    return path


def test_capacity_command_json_and_table(tmp_path, capsys):
    path = _scenario_file(tmp_path)
    assert main(["capacity", str(path), "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # b: 150/s x 10 ms / 8 workers = 0.1875; headroom 1 / 0.1875
    assert doc["services"]["b"]["rps"] == pytest.approx(150.0)
    assert doc["services"]["b"]["utilization"] == pytest.approx(0.1875)
    assert doc["bottleneck"] == "b"
    assert doc["maxRateMultiplier"] == pytest.approx(1 / 0.1875)
    assert main(["capacity", str(path)]) == 0
    out = capsys.readouterr().out
    assert "bottleneck: b (ρ = 0.188); every entry rate can grow 5.33× before it saturates" in out


def test_validate_and_run_warn_about_overload(tmp_path, capsys):
    path = _scenario_file(tmp_path, rate=250)  # b: 750/s x 10 ms / 8 = 0.9375
    assert main(["validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: capacity: b is offered 0.94× what it can serve" in err
    assert main(["capacity", str(path), "--phase", "nope"]) == 2


def test_run_warns_about_overload_before_simulating(tmp_path, capsys):
    path = _scenario_file(tmp_path, rate=250)
    argv = ["run", str(path), "--quiet", "--workers", "1", "--entrypoint", "web"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "warning: capacity: b is offered 0.94× what it can serve" in captured.err
    assert main(["run", str(path), "--quiet", "--entrypoint", "nope"]) == 2
    assert "unknown entrypoint 'nope'; known: web" in capsys.readouterr().err
