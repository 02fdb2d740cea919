from __future__ import annotations

import json
import subprocess
import sys

import pytest

from meshsim.cli import main
from tests.conftest import SAMPLES, build

SHORT = ["--duration", "3s", "--replications", "1", "--workers", "1", "--quiet"]


@pytest.fixture
def scenario_file(tmp_path):
    import yaml

    s = build(
        [
            {"name": "a", "serviceTime": "1ms", "calls": [{"to": "b"}]},
            {"name": "b", "serviceTime": "1ms"},
        ],
        rollout={"phases": [{"name": "p1", "services": ["b"]}, {"name": "p2", "services": ["a"]}]},
        simulation={"duration": "3s", "warmup": "1s"},
    )
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(s.model_dump(mode="json", by_alias=True, exclude_unset=True)))
    return path


def test_run_prints_a_table(scenario_file, capsys):
    assert main(["run", str(scenario_file), *SHORT]) == 0
    out = capsys.readouterr().out
    assert "baseline" in out and "p1" in out and "p2" in out and "p99 ms" in out


def test_run_json_document(scenario_file, capsys):
    assert (
        main(
            [
                "run",
                str(scenario_file),
                "--json",
                "-",
                "--phase",
                "p2",
                "--phase",
                "0",
                "--seed",
                "9",
                *SHORT,
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["apiVersion"] == "meshsim/v1" and doc["kind"] == "Results"
    assert doc["seed"] == 9 and doc["durationS"] == 3.0
    assert [p["name"] for p in doc["phases"]] == ["baseline", "p2"]
    phase = doc["phases"][1]
    for key in (
        "meshed",
        "onboarded",
        "entrypoints",
        "services",
        "edges",
        "retryAmplification",
        "mtlsCoverage",
        "policyCoverage",
        "telemetryCoverage",
        "proxies",
        "proxyCpuCores",
        "proxyMemoryMiB",
        "exposure",
    ):
        assert key in phase
    assert {"from", "to", "calls", "attempts", "failures", "mtls", "policy"} <= set(
        phase["edges"][0]
    )
    assert any(e["from"] == "@web" for e in phase["edges"])
    web = phase["entrypoints"]["web"]
    assert {"requests", "successRate", "goodRate", "throughputRps", "sloMet", "latencyMs"} <= set(
        web
    )


def test_phase_takes_several_values(scenario_file, capsys):
    assert main(["run", str(scenario_file), "--json", "-", "--phase", "p2", "0", *SHORT]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [p["name"] for p in doc["phases"]] == ["baseline", "p2"]
    for svc in doc["phases"][1]["services"].values():
        assert set(svc["latencyMs"]) == {"mean", "p50", "p90", "p99", "max"}


def test_run_json_to_file(scenario_file, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", str(scenario_file), "--json", str(out), *SHORT]) == 0
    assert json.loads(out.read_text())["kind"] == "Results"


@pytest.mark.parametrize(
    "args",
    [
        ["--phase", "nope"],
        ["--phase", "7"],
        ["--replications", "0"],
        ["--duration", "10"],
        ["--bogus"],
    ],
)
def test_bad_options_exit_2(scenario_file, args, capsys):
    # argparse rejects some options itself (SystemExit 2); the others return 2
    try:
        code = main(["run", str(scenario_file), *args, "--quiet"])
    except SystemExit as exit_:
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err


def test_version_and_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "meshsim", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "meshsim 0.1.0"


def test_bad_file_exit_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("services:\n  - name: a\n    replicas: 0\nentrypoints: []\n")
    proc = subprocess.run(
        [sys.executable, "-m", "meshsim", "run", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert f"{bad}:3:15: services[0].replicas: must be at least 1 (got 0)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_samples_validate():
    for path in sorted(SAMPLES.glob("*.yaml")):
        assert main(["validate", str(path)]) == 0
