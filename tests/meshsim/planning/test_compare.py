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


def test_json_carries_the_paired_statistics_and_the_terms(everything):
    _, results = everything
    doc = json.loads(results.model_dump_json(by_alias=True))
    best = doc["ranking"][0]
    assert doc["replications"] == {o["name"]: 2 for o in doc["orderings"]}
    assert isinstance(doc["separated"], bool) and doc["verdict"].startswith(best)
    assert set(doc["weights"]) == set(doc["orderings"][0]["score"]["terms"])
    for o in doc["orderings"]:
        score = o["score"]
        assert {"deltaVsBest", "deltaCi95", "tiedWithBest", "violations", "terms"} <= set(score)
        assert score["deltaVsBest"] <= 1e-9 and score["deltaCi95"] >= 0
        assert sum(score["terms"].values()) == pytest.approx(score["score"], abs=1e-4)
        for term, points in score["terms"].items():
            assert 0 <= points <= doc["weights"][term] + 1e-9
        if o["name"] == best:
            assert score["deltaVsBest"] == 0 and score["tiedWithBest"]
        elif score["tiedWithBest"]:
            assert abs(score["deltaVsBest"]) <= score["deltaCi95"] + 1e-9
    assert doc["separated"] == (
        not any(o["score"]["tiedWithBest"] for o in doc["orderings"] if o["name"] != best)
    )


def test_the_same_plan_twice_is_tied_and_gets_no_more_replications():
    twin = {"name": "twin", "phases": shop().model_dump(by_alias=True)["rollout"]["phases"]}
    s = shop(orderings=[twin])
    results = compare(s, strategies=["as-written"], workers=1, max_replications=4)
    by_name = {o.name: o.score for o in results.orderings}
    assert results.ranking == ["as-written", "twin"]  # equal scores: by name
    assert by_name["twin"].delta_vs_best == 0 and by_name["twin"].delta_ci95 == 0
    assert by_name["twin"].tied_with_best and not results.separated
    # equal in every replication: more replications could never separate them
    assert results.replications == {"as-written": 2, "twin": 2}
    assert (
        results.verdict
        == "as-written ranks first; twin: the same plan; no other plan was compared."
    )


def test_adaptive_replications_go_to_the_leaders_until_separated_or_the_budget():
    phases = shop().model_dump(by_alias=True)["rollout"]["phases"]
    # the same plan but ads (an optional call) gets its sidecar one phase later: only
    # a few microseconds of p99 differ, inside the noise of two replications
    phases[0]["services"] = ["db", "pay"]
    phases[1]["services"] = ["api", "ads"]
    s = shop(orderings=[{"name": "ads-later", "phases": phases}])
    two = compare(s, strategies=["as-written"], workers=1)
    assert two.replications == {"ads-later": 2, "as-written": 2}
    assert not two.separated  # tied at two replications
    more = compare(s, strategies=["as-written"], workers=1, max_replications=5)
    counts = set(more.replications.values())
    assert len(counts) == 1 and 2 < counts.pop() <= 5
    assert more.separated or more.replications[more.ranking[0]] == 5
    other = next(o.score for o in more.orderings if o.name != more.ranking[0])
    assert other.tied_with_best == (not more.separated)
    if more.separated:
        assert abs(other.delta_vs_best) > other.delta_ci95


def test_optimized_keeps_the_constraints():
    from tests.meshsim.planning.planning_scenarios import wide

    constraints = {"pilotMaxExposure": 0.1, "maxServicesPerPhase": 4, "last": ["web"]}
    s = wide(
        rollout={"constraints": constraints},
        simulation={"duration": "3s", "warmup": "0.5s", "replications": 2, "seed": 3},
    )
    results = compare(s, strategies=["optimized", "edge-first"], workers=1)
    by_name = {o.name: o for o in results.orderings}
    opt = by_name["optimized"]
    assert opt.score.violations == []
    assert opt.phases[1].exposure <= 0.1 + opt.phases[1].ci95.get("exposure", 0.0)
    assert "web" in opt.phases[-1].onboarded
    assert max(len(p.onboarded) for p in opt.phases[1:]) <= 4
    edge = by_name["edge-first"].score
    assert "pilotMaxExposure" in edge.violations and "last" in edge.violations
    assert results.ranking.index("optimized") < results.ranking.index("edge-first")
    assert not by_name["edge-first"].score.tied_with_best


def test_cli_explain_prints_points_per_term_and_the_reason(tmp_path, capsys):
    path = tmp_path / "shop.yaml"
    path.write_text(SHOP_YAML)
    args = ["compare", str(path), "--strategy", "as-written", "--strategy", "edge-first"]
    assert main([*args, "--workers", "1", "--explain", "--max-replications", "2"]) == 0
    out = capsys.readouterr().out
    assert "Δ vs best" in out and "Points per term" in out and "Why: " in out
    assert main([*args, "--max-replications", "0"]) == 2
    assert "--max-replications must be at least 1" in capsys.readouterr().err


def test_one_replication_gives_no_interval_rather_than_plus_minus_zero():
    s = shop()
    s = s.model_copy(update={"simulation": s.simulation.model_copy(update={"replications": 1})})
    results = compare(s, strategies=["as-written", "leaves-first"], workers=1)
    others = [o for o in results.orderings if o.name != results.ranking[0]]
    assert others and not any(results.has_interval(o.name) for o in others)
    assert all(o.score.delta_ci95 == 0 for o in others)  # a number, as SPEC §11.5 says
    assert "no interval" in results.verdict
    from meshsim.cli.compare import _delta

    assert "±" not in _delta(others[0].score, results.has_interval(others[0].name))
