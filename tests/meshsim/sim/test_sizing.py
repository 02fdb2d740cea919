"""Run sizing: the analytic visit count is the simulated one; runs that cannot fit are refused."""

from __future__ import annotations

import tracemalloc

import pytest

import meshsim
from meshsim.cli import main
from meshsim.files.scenario import dump_scenario
from meshsim.sim.compile import compile_phases
from meshsim.sim.engine import simulate
from meshsim.sim.model import Model
from meshsim.sim.sizing import (
    PROCESS_BYTES,
    estimate_run,
    fits_in_memory,
    visits_per_request,
)
from models import limits
from tests.conftest import build

GRAPH = [
    {
        "name": "a",
        "serviceTime": "1ms",
        "calls": [
            {"parallel": [{"to": "b"}, {"to": "c", "count": 2}]},
            {"to": "c", "probability": 0.5},
            {"to": "d", "probability": 0.25},
        ],
    },
    {"name": "b", "serviceTime": "1ms", "calls": [{"to": "c", "count": 3}]},
    {"name": "c", "serviceTime": "1ms"},
    {"name": "d", "serviceTime": "1ms", "calls": [{"to": "c"}]},
]


def _graph(rate: str = "100/s", **simulation):
    return build(
        GRAPH,
        entrypoints=[{"name": "web", "service": "a", "rate": rate, "arrival": "constant"}],
        simulation={"duration": "20s", "warmup": "2s", **simulation},
    )


def test_visits_per_request_is_count_times_probability_over_the_call_graph():
    # c = 1; d = 1 + c = 2; b = 1 + 3c = 4; a = 1 + b + 2c + 0.5c + 0.25d = 8
    assert visits_per_request(_graph()) == {"a": 8.0, "b": 4.0, "c": 1.0, "d": 2.0}


def test_uncertain_cycles_are_solved_up_to_max_depth():
    scenario = build(
        [
            {"name": "a", "calls": [{"to": "b"}]},
            {"name": "b", "calls": [{"to": "a", "probability": 0.5}]},
        ],
        simulation={"maxDepth": 200},
    )
    # a = 1 + b, b = 1 + a/2  ->  a = 4, b = 3
    assert visits_per_request(scenario) == pytest.approx({"a": 4.0, "b": 3.0}, rel=1e-9)


def test_estimated_visits_are_the_simulated_visits():
    scenario = _graph()
    estimate = estimate_run(scenario, phases=1, replications=1)
    assert estimate.runs == 1
    assert estimate.requests == 100 * 20
    assert estimate.visits == pytest.approx(100 * 20 * 8)
    model = Model(scenario)
    record = simulate(model, compile_phases(scenario)[0], 0)
    measured = sum(record.svc_attempts)  # attempts of the measured window (18 s)
    expected = 100 * 18 * 8
    # constant arrivals: only the coin flips of c (0.5) and d (0.25) vary
    assert measured == pytest.approx(expected, rel=0.03)


def test_memory_estimate_covers_what_one_phase_run_allocates():
    scenario = _graph(rate="200/s", duration="10s", warmup="0s")
    estimate = estimate_run(scenario, phases=1, replications=1)
    tracemalloc.start()
    try:
        model = Model(scenario)
        simulate(model, compile_phases(scenario)[0], 0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= estimate.run_bytes <= 10 * peak


def test_runs_phases_replications_plans_and_workers_multiply():
    scenario = build(
        [{"name": "a"}],
        rollout={"phases": [{"name": "p1", "services": ["a"]}]},
        simulation={"duration": "10s", "warmup": "0s", "replications": 3},
    )
    one = estimate_run(scenario, phases=1, replications=1)
    every = estimate_run(scenario, plans=2, workers=4)
    assert every.runs == 2 * 3 * 2  # (1 phase + baseline) x 3 replications x 2 plans
    assert every.visits == pytest.approx(12 * one.visits)
    assert every.concurrent == 4
    assert every.peak_bytes == pytest.approx(4 * (one.run_bytes + PROCESS_BYTES) + PROCESS_BYTES)


def test_overloaded_services_grow_their_queue_for_the_whole_run():
    calm = build([{"name": "a", "serviceTime": "10ms", "concurrency": 1}],
                 entrypoints=[{"name": "w", "service": "a", "rate": "50/s"}])  # fmt: skip
    hot = calm.model_copy(update={"entrypoints": [calm.entrypoints[0].model_copy(
        update={"rate": 150.0})]})  # fmt: skip
    grow = estimate_run(hot).run_bytes - 3 * estimate_run(calm).run_bytes
    assert grow > 50 * 20 * 1000  # 50 req/s too many for 20 s, ~1 kB each


def test_fits_in_memory_says_why_and_suggests_fewer_workers():
    scenario = _graph(replications=8)
    estimate = estimate_run(scenario, workers=8)
    assert fits_in_memory(estimate, available=int(estimate.peak_bytes) + 1) is None
    assert estimate.concurrent == 8
    reason = fits_in_memory(estimate, available=int(estimate.run_bytes + 2 * PROCESS_BYTES))
    assert reason is not None and "cannot fit in memory" in reason
    assert "fewer --workers" in reason
    assert "\n" not in reason


@pytest.fixture
def huge(tmp_path):
    """Valid (every number under its bound) but far beyond any machine's memory."""
    scenario = build(
        [
            {"name": "a", "replicas": limits.MAX_REPLICAS, "calls": [{"to": "b", "count": 10}]},
            {"name": "b", "replicas": limits.MAX_REPLICAS},
        ],
        entrypoints=[{"name": "web", "service": "a", "rate": "1000000/s"}],
        rollout={"phases": [{"name": "all", "services": ["a", "b"]}]},
        simulation={"duration": "604800s", "warmup": "0s", "replications": 5},
    )
    path = tmp_path / "huge.yaml"
    path.write_text(dump_scenario(scenario))
    return path


@pytest.mark.parametrize(
    "command",
    [["run"], ["compare", "--strategy", "edge-first"], ["blast", "--service", "b"]],
    ids=["run", "compare", "blast"],
)
def test_cli_refuses_a_run_that_cannot_fit_with_one_line_and_exit_2(huge, tmp_path, capsys,
                                                                    command):  # fmt: skip
    out = tmp_path / "out.json"
    code = main([command[0], str(huge), *command[1:], "--json", str(out), "--quiet"])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert err.startswith("meshsim: this run cannot fit in memory")
    assert "service visits" in err and "available" in err
    assert not out.exists()


def test_estimate_run_is_public_api():
    assert "estimate_run" in meshsim.__all__
    assert meshsim.estimate_run is estimate_run
