"""``meshsim import``: exit codes, warnings on stderr, atomic output."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from meshsim.cli import importcmd
from meshsim.files.importers import ImportResult
from meshsim.files.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[4]


def _args(fmt: str, inputs: list[Path], output: Path | None = None, rate: float | None = None):
    return argparse.Namespace(format=fmt, inputs=inputs, output=output, rate=rate)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meshsim")
    importcmd.register(parser.add_subparsers(dest="command"))
    return parser


def test_writes_a_scenario_that_loads(data, tmp_path, capsys):
    out = tmp_path / "boutique.yaml"
    manifests = data / "online-boutique" / "kubernetes-manifests.yaml"
    assert importcmd.run(_args("k8s", [manifests], out)) == 0
    scenario = load_scenario(out)
    assert scenario.entrypoints[0].service == "frontend"
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and "loadgenerator" in err
    assert [p.name for p in tmp_path.iterdir()] == ["boutique.yaml"]  # no temporary file left


def test_stdout_when_no_output(data, capsys):
    path = data / "formats" / "isotope" / "chain-3-services.yaml"
    assert importcmd.run(_args("auto", [path], rate=7.0)) == 0
    document = yaml.safe_load(capsys.readouterr().out)
    assert document["entrypoints"] == [{"name": "a", "service": "a", "rate": "7/s"}]
    assert list(document)[:3] == ["apiVersion", "kind", "metadata"]


def test_broken_input_exits_2_and_writes_nothing(tmp_path, capsys):
    broken = tmp_path / "trace.json"
    broken.write_text('{"spans": [\n  {"spanID": 1,\n')
    out = tmp_path / "out.yaml"
    out.write_text("previous content\n")
    assert importcmd.run(_args("jaeger-trace", [broken], out)) == 2
    message = "invalid JSON: Expecting property name enclosed in double quotes"
    assert capsys.readouterr().err == f"{broken}:3: {message}\n"
    assert out.read_text() == "previous content\n"


def test_unwritable_output_exits_2(tmp_path, capsys):
    edges = tmp_path / "edges.csv"
    edges.write_text("a,b\n")
    assert importcmd.run(_args("csv", [edges], tmp_path / "missing" / "out.yaml")) == 2
    assert "cannot write" in capsys.readouterr().err


def test_an_invalid_document_is_an_internal_error(tmp_path, capsys, monkeypatch):
    edges = tmp_path / "edges.csv"
    edges.write_text("a,b\n")
    bad = ImportResult({"services": [{"name": "A B"}]}, [])
    monkeypatch.setattr(importcmd, "import_graph", lambda *a, **k: bad)
    assert importcmd.run(_args("csv", [edges], tmp_path / "out.yaml")) == 1
    assert "internal error" in capsys.readouterr().err
    assert not (tmp_path / "out.yaml").exists()


def test_register_parses_the_spec_options(tmp_path):
    args = _parser().parse_args(
        ["import", "csv", "a.csv", "b.csv", "-o", "x.yaml", "--rate", "1200/m"]
    )
    assert args.func is importcmd.run
    assert args.inputs == [Path("a.csv"), Path("b.csv")]
    assert args.output == Path("x.yaml") and args.rate == 20.0


@pytest.mark.parametrize("argv", [["import", "svg", "a"], ["import", "csv", "a", "--rate", "fast"]])
def test_bad_options_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        _parser().parse_args(argv)
    assert info.value.code == 2


def test_command_line_end_to_end(data, tmp_path):
    out = tmp_path / "kiali.yaml"
    run = subprocess.run(
        [sys.executable, "-m", "meshsim", "import", "kiali",
         str(data / "formats" / "kiali" / "test_service_graph.json"), "-o", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert all(line.startswith("warning: ") for line in run.stderr.splitlines())
    check = subprocess.run(
        [sys.executable, "-m", "meshsim", "validate", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
