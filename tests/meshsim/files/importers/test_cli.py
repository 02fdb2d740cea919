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


def _import(argv: list[str]) -> int:
    args = _parser().parse_args(["import", *argv])
    return args.func(args)


def _phase_services(doc: dict) -> list[list[str]]:
    return [p.get("services", []) for p in doc.get("rollout", {}).get("phases", [])]


def test_import_starts_with_a_risk_ascending_plan_of_four_phases(data, tmp_path, capsys):
    out = tmp_path / "ob.yaml"
    manifests = data / "online-boutique" / "kubernetes-manifests.yaml"
    assert _import(["k8s", str(manifests), "-o", str(out)]) == 0
    doc = yaml.safe_load(out.read_text())
    scenario = load_scenario(out)
    groups = _phase_services(doc)
    assert [p["name"] for p in doc["rollout"]["phases"]] == [f"phase-{k}" for k in range(1, 5)]
    # every service is onboarded exactly once, as the strategy orders them
    from meshsim.planning.strategies import generate

    assert groups == [p.services for p in generate(scenario, "risk-ascending", 4)]
    assert sorted(n for g in groups for n in g) == sorted(s.name for s in scenario.services)


def test_plan_none_keeps_none_and_other_strategies_apply(data, tmp_path, capsys):
    manifests = data / "online-boutique" / "kubernetes-manifests.yaml"
    out = tmp_path / "none.yaml"
    assert _import(["k8s", str(manifests), "-o", str(out), "--plan", "none"]) == 0
    assert "rollout" not in yaml.safe_load(out.read_text())
    out = tmp_path / "edge.yaml"
    argv = ["k8s", str(manifests), "-o", str(out), "--plan", "edge-first", "--phase-count", "2"]
    assert _import(argv) == 0
    groups = _phase_services(yaml.safe_load(out.read_text()))
    assert len(groups) == 2 and "frontend" in groups[0]


def test_plan_adds_phases_after_the_existing_one(tmp_path, capsys):
    text = "".join(
        f"""---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {ns}}}
spec:
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}, annotations: {{sidecar.istio.io/inject: '{inj}'}}}}
    spec: {{containers: [{{name: main, image: x, env: [{{name: A, value: '{env}'}}]}}]}}
---
apiVersion: v1
kind: Service
metadata: {{name: {name}, namespace: {ns}}}
spec: {{selector: {{app: {name}}}, ports: [{{port: 80}}]}}
"""
        for name, ns, inj, env in (
            ("web", "shop", "true", "http://api.shop:80"),
            ("api", "shop", "false", "db.shop:80"),
            ("db", "shop", "false", "none"),
        )
    )
    path = tmp_path / "m.yaml"
    path.write_text(text)
    out = tmp_path / "o.yaml"
    assert _import(["k8s", str(path), "-o", str(out), "--phase-count", "2"]) == 0
    phases = yaml.safe_load(out.read_text())["rollout"]["phases"]
    assert [p["name"] for p in phases] == ["existing", "phase-1", "phase-2"]
    assert phases[0]["services"] == ["web"]
    assert sorted(phases[1]["services"] + phases[2]["services"]) == ["api", "db"]
    load_scenario(out)


@pytest.mark.parametrize(
    "argv",
    [
        ["--target-utilization", "0"],
        ["--target-utilization", "1.5"],
        ["--window", "0s"],
        ["--window", "soon"],
        ["--plan", "optimized"],
        ["--phase-count", "0"],
    ],
)
def test_bad_import_options_exit_2(data, argv, capsys):
    path = data / "online-boutique" / "edges.csv"
    with pytest.raises(SystemExit) as exit_:
        _import(["csv", str(path), *argv])
    assert exit_.value.code == 2
    assert "error: argument" in capsys.readouterr().err


def test_overloaded_import_warns_with_capacity(tmp_path, capsys):
    path = tmp_path / "g.dot"
    path.write_text('digraph { web [entrypoint=true, rate="1000/s", serviceTime="100ms"]; }')
    # a target of 1 allows up to rho = 1; sizing stops there, so rho >= 0.9 warns
    assert (
        _import(["dot", str(path), "-o", str(tmp_path / "o.yaml"), "--target-utilization", "1"])
        == 0
    )
    err = capsys.readouterr().err
    # web: 1000 * 0.1 / 16 = 6.25 -> 7 replicas -> rho = 100 / 112 = 0.89: no warning
    assert "web: replicas 1 → 7" in err
    assert "capacity:" not in err


def test_import_warns_about_a_service_left_at_capacity(tmp_path, capsys):
    path = tmp_path / "g.dot"
    path.write_text('digraph { web [entrypoint=true, rate="1120/s", serviceTime="100ms"]; }')
    # rho = 1120 * 0.1 / 16 = 7 -> 7 replicas at a target of 1 -> rho = 1.0 exactly
    out = tmp_path / "o.yaml"
    assert _import(["dot", str(path), "-o", str(out), "--target-utilization", "1"]) == 0
    err = capsys.readouterr().err
    assert "web: replicas 1 → 7" in err
    assert "warning: capacity: web is offered 1.00× what it can serve" in err


@pytest.mark.parametrize(
    ("text", "seconds"), [("1h", 3600.0), ("24h", 86400.0), ("1h30m", 5400.0), ("90s", 90.0)]
)
def test_window_takes_hours(text, seconds):
    # the help says "e.g. 1h": dependency counts cover hours or days, not milliseconds
    args = _parser().parse_args(["import", "jaeger-deps", "deps.json", "--window", text])
    assert args.window == seconds
