"""The runner compiles each plan once and never simulates one job twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

import meshsim.sim.runner as runner
from meshsim import RunRequest, run_many
from meshsim.version import __version__
from models import Phase
from tests.meshsim.sim.test_determinism import scenario


@pytest.fixture
def compiles(monkeypatch):
    """Count compile_phases and Model calls made by the runner (and any job it runs)."""
    counts = {"compile_phases": 0, "Model": 0}
    for name in counts:
        real = getattr(runner, name)

        def counted(*args, _real=real, _name=name, **kwargs):
            counts[_name] += 1
            return _real(*args, **kwargs)

        monkeypatch.setattr(runner, name, counted)
    return counts


def three_requests():
    s = scenario()  # baseline + 2 phases, 2 replications
    other = (Phase(name="y", services=["c"]),)
    return [RunRequest(s), RunRequest(s, other), RunRequest(s, phase_indexes=(2,))]


@pytest.mark.parametrize("executor", [None, ThreadPoolExecutor], ids=["serial", "executor"])
def test_each_plan_is_compiled_once_and_jobs_never_compile(compiles, executor):
    pool = executor(max_workers=2) if executor else None
    try:
        results = run_many(three_requests(), executor=pool)
    finally:
        if pool:
            pool.shutdown()
    # two distinct plans of one scenario object: two compilations, one model, and the
    # 3 + 2 + 1 phases x 2 replications of the jobs compiled nothing more
    assert compiles == {"compile_phases": 2, "Model": 1}
    assert results[2].phases[0] == results[0].phases[2]


def test_an_executor_gives_the_serial_results():
    with ThreadPoolExecutor(max_workers=2) as pool:
        pooled = run_many(three_requests(), executor=pool)
    assert pooled == run_many(three_requests())


def test_each_mesh_state_is_simulated_once_per_replication(simulations):
    run_many(three_requests())
    # baseline, {b}, {a, b, c} of the first plan; {c} of the second; nothing new in the third
    assert len(simulations) == len(set(simulations)) == 4 * 2


def test_results_carry_the_package_version():
    from importlib.metadata import version

    assert __version__ == version("meshsim")
    assert run_many([RunRequest(scenario(), phase_indexes=(0,))])[0].meshsim_version == __version__
