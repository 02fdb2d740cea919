"""``compare``: orderings simulated on common random numbers, scored and ranked."""

from __future__ import annotations

import json

import pytest

from meshsim.cli import main
from meshsim.errors import SimulationError
from meshsim.planning.compare import compare, plan_orderings
from meshsim.planning.scoring import ranking_key
from tests.meshsim.planning.planning_scenarios import SHOP_YAML, shop

RECKLESS = {
    "name": "reckless",
    "phases": [
        # db goes STRICT while its caller api has no sidecar yet: api's calls are refused.
        {
            "name": "db-strict",
            "services": ["db"],
            "mtls": [{"scope": "service", "name": "db", "mode": "STRICT"}],
        },
        {"name": "rest", "services": ["web", "api", "ads", "pay"]},
    ],
}


@pytest.fixture(scope="module")
def everything():
    """All six strategies plus a reckless named plan, simulated serially."""
    s = shop(orderings=[RECKLESS])
    return s, compare(s, workers=1)


def test_orderings_and_their_phases(everything):
    s, results = everything
    names = [o.name for o in results.orderings]
    assert names == [
        "reckless",
        "as-written",
        "risk-ascending",
        "edge-first",
        "leaves-first",
        "sensitive-first",
        "optimized",
    ]
    assert sorted(results.ranking) == sorted(names)
    for o in results.orderings:
        assert o.phases[0].name == "baseline" and o.phases[0].index == 0
        assert [p.index for p in o.phases] == list(range(len(o.plan) + 1))
        assert [p.name for p in o.phases[1:]] == [p["name"] for p in o.plan]
        assert o.phases[0] == results.orderings[0].phases[0]  # one shared baseline
    by_name = {o.name: o for o in results.orderings}
    assert by_name["as-written"].strategy == "as-written"
    assert by_name["reckless"].strategy == "named"
    assert [p["name"] for p in by_name["as-written"].plan] == ["leaves", "middle", "edge"]


def test_strict_before_the_callers_breaks_and_ranks_last(everything):
    _, results = everything
    reckless = next(o for o in results.orderings if o.name == "reckless")
    assert reckless.phases[1].breakages > 0
    assert reckless.score.breakages == 1  # phase 2 meshes api: no more breakage
    assert reckless.phases[2].breakages == 0
    assert results.ranking[-1] == "reckless"


def test_generated_orderings_never_break(everything):
    _, results = everything
    for o in results.orderings:
        if o.strategy not in ("named",):
            assert o.score.breakages == 0, o.name
            assert all(p.breakages == 0 for p in o.phases)
            assert o.phases[-1].mtls_coverage == pytest.approx(1.0)


def test_optimized_is_never_worse_than_its_seeds(everything):
    _, results = everything
    by_name = {o.name: o for o in results.orderings}
    best = ranking_key(by_name["optimized"].score)
    for name in (
        "as-written",
        "risk-ascending",
        "edge-first",
        "leaves-first",
        "sensitive-first",
        "reckless",
    ):
        assert best[:2] <= ranking_key(by_name[name].score)[:2], name


def test_serial_and_parallel_give_identical_results():
    s = shop()
    serial = compare(s, strategies=["edge-first", "optimized"], workers=1)
    parallel = compare(s, strategies=["edge-first", "optimized"], workers=2)
    assert serial.model_dump() == parallel.model_dump()


def test_only_optimized_still_simulates_its_seeds_but_shows_one_ordering():
    s = shop()
    progress = []
    results = compare(s, strategies=["optimized"], workers=1, on_progress=progress.append)
    assert [o.name for o in results.orderings] == ["optimized"]
    assert progress and progress[-1] == 1.0
    assert progress == sorted(progress)


def test_compare_simulates_each_mesh_state_once_per_replication(simulations):
    s = shop(orderings=[RECKLESS])
    results = compare(s, strategies=["edge-first", "leaves-first", "optimized"], workers=1)
    assert len(simulations) == len(set(simulations))
    # every ordering's baseline and all-meshed last phase are the same two mesh states
    reps = s.simulation.replications
    states = {fingerprint for fingerprint, _ in simulations}
    assert len(simulations) == len(states) * reps
    phases = sum(len(o.phases) - 2 for o in results.orderings if o.name != "reckless")
    assert len(states) <= 2 + phases + len(RECKLESS["phases"])


def test_plan_names_and_errors():
    s = shop(
        orderings=[
            {"name": "edge-first", "strategy": "edge-first", "phaseCount": 4},
            {"name": "leaves-first", "strategy": "leaves-first", "phaseCount": 2},
        ]
    )
    plans = plan_orderings(s, ["edge-first", "leaves-first"])
    assert [(n, st) for n, st, _ in plans] == [
        ("edge-first", "edge-first"),
        ("leaves-first", "leaves-first"),
        ("leaves-first-generated", "leaves-first"),
    ]
    assert [n for n, _, _ in plan_orderings(shop(rollout={"phases": []}))] == [
        "risk-ascending",
        "edge-first",
        "leaves-first",
        "sensitive-first",
        "optimized",
    ]
    with pytest.raises(SimulationError, match="unknown strategy 'bogus'"):
        plan_orderings(s, ["bogus"])
    with pytest.raises(SimulationError, match="needs rollout.phases"):
        plan_orderings(shop(rollout={"phases": []}), ["as-written"])
    with pytest.raises(SimulationError, match="at least 1"):
        plan_orderings(s, ["edge-first"], 0)
    with pytest.raises(SimulationError, match="nothing to compare"):
        compare(shop(), strategies=[])


def test_cli_compare(tmp_path, capsys):
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP_YAML)
    report = tmp_path / "out.html"
    code = main(
        [
            "compare",
            str(path),
            "--strategy",
            "edge-first",
            "--strategy",
            "as-written",
            "--phase-count",
            "2",
            "--workers",
            "1",
            "--json",
            "-",
            "--report",
            str(report),
        ]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert [o["name"] for o in doc["orderings"]] == ["edge-first", "as-written"]
    assert len(doc["orderings"][0]["phases"]) == 3  # baseline + 2
    assert set(doc["orderings"][0]["score"]) >= {
        "score",
        "sloViolations",
        "breakages",
        "maxExposure",
        "meanExposure",
        "mtlsAuc",
        "sensitiveMtlsAuc",
        "peakProxyCpuCores",
        "p99DeltaMs",
    }
    assert sorted(doc["ranking"]) == ["as-written", "edge-first"]
    assert report.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert main(["compare", str(path), "--strategy", "as-written", "--workers", "1"]) == 0
    table = capsys.readouterr().out
    assert "1  as-written" in table and "leaves:" in table


def test_cli_compare_rejects_bad_input(tmp_path, capsys):
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP_YAML)
    with pytest.raises(SystemExit) as err:
        main(["compare", str(path), "--strategy", "bogus"])
    assert err.value.code == 2
    assert main(["compare", str(path), "--phase-count", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_compare_can_be_cancelled():
    from meshsim.errors import SimulationCancelled

    with pytest.raises(SimulationCancelled):
        compare(shop(), strategies=["edge-first"], workers=1, should_stop=lambda: True)
