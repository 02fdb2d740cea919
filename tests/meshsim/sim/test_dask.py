"""Distributed runs (SPEC §19): a Dask cluster gives exactly the serial results."""

from __future__ import annotations

import sys

import distributed  # in the dev extra: a missing install fails, never skips
import pytest

from meshsim.cli import main
from meshsim.errors import SimulationError
from meshsim.planning.sweep import parse_param, sweep
from meshsim.sim.executors import executor_for
from meshsim.sim.runner import RunRequest, run_many
from tests.meshsim.planning.test_sweep import TEXT


@pytest.fixture(scope="module")
def dask_executor():
    # in-process workers keep the test fast; the jobs still go through Dask's scheduler
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client.get_executor()
    client.close()
    cluster.close()


def test_sweep_on_dask_gives_identical_json(dask_executor):
    params = [
        parse_param("mesh.defaults.retries.attempts=0,2"),
        parse_param("services[b].replicas=1,2"),
    ]
    serial = sweep(TEXT, "t.yaml", params, workers=1)
    spread = sweep(TEXT, "t.yaml", params, executor=dask_executor)
    assert spread.model_dump_json(by_alias=True) == serial.model_dump_json(by_alias=True)


def test_run_on_dask_is_the_serial_run(dask_executor):
    from meshsim.files.overrides import apply_overrides

    scenario = apply_overrides(TEXT, "t.yaml", [])
    serial = run_many([RunRequest(scenario)], workers=1)[0]
    spread = run_many([RunRequest(scenario)], executor=dask_executor)[0]
    assert spread == serial


def test_scheduler_needs_dask(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(TEXT)
    args = ["run", str(path), "--quiet", "--scheduler", "tcp://127.0.0.1:1"]
    assert main(args) == 2
    assert capsys.readouterr().err == "meshsim: --scheduler needs --executor dask\n"


def test_without_dask_says_how_to_install(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails
    with pytest.raises(SimulationError, match=r"pip install 'meshsim\[dask\]'"):
        with executor_for("dask"):
            pass
    path = tmp_path / "s.yaml"
    path.write_text(TEXT)
    assert main(["run", str(path), "--quiet", "--executor", "dask"]) == 2
    assert "pip install 'meshsim[dask]'" in capsys.readouterr().err


def test_compare_and_blast_on_dask_are_the_serial_ones(dask_executor):
    from meshsim.files.overrides import apply_overrides
    from meshsim.planning.blast import blast_radius
    from meshsim.planning.compare import compare

    scenario = apply_overrides(TEXT, "t.yaml", [])
    serial = compare(scenario, strategies=["as-written", "risk-ascending"], workers=1)
    spread = compare(scenario, strategies=["as-written", "risk-ascending"], executor=dask_executor)
    assert spread.model_dump_json(by_alias=True) == serial.model_dump_json(by_alias=True)
    assert blast_radius(scenario, executor=dask_executor) == blast_radius(scenario, workers=1)


@pytest.mark.parametrize("command", ["compare", "blast"])
def test_compare_and_blast_take_the_executor_options(command, tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(TEXT)
    assert main([command, str(path), "--quiet", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert capsys.readouterr().err == "meshsim: --scheduler needs --executor dask\n"
    assert main([command, str(path), "--quiet", "--executor", "serial", "--json", "-"]) == 0
