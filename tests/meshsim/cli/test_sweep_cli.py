"""`meshsim sweep` on the command line: outputs and exit codes."""

from __future__ import annotations

import csv
import json

import pytest

from meshsim.cli import main
from tests.meshsim.planning.test_sweep import TEXT

RUN = ["--quiet", "--executor", "serial"]


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text(TEXT)
    return path


def test_json_csv_plot(shop, tmp_path, capsys):
    out_csv, plot = tmp_path / "s.csv", tmp_path / "s.png"
    args = ["sweep", str(shop), "--param", "mesh.defaults.retries.attempts=0,3"]
    args += ["--json", "-", "--csv", str(out_csv), "--plot", str(plot), *RUN]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["params"] == ["mesh.defaults.retries.attempts"] and doc["phase"] == "all"
    assert [p["values"] for p in doc["points"]] == [
        {"mesh.defaults.retries.attempts": 0},
        {"mesh.defaults.retries.attempts": 3},
    ]
    point = doc["points"][1]
    assert {"entrypoints", "retryAmplification", "proxyCpuCores", "sloMet"} <= set(point)
    assert set(point["entrypoints"]["web"]) >= {"successRate", "goodRate", "latencyMs", "ci95"}
    assert doc["best"]["values"] == {"mesh.defaults.retries.attempts": 3}
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 2 and rows[1]["mesh.defaults.retries.attempts"] == "3"
    assert float(rows[1]["goodRate"]) == point["entrypoints"]["web"]["goodRate"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_and_phase(shop, capsys):
    args = ["sweep", str(shop), "--param", "services[b].replicas=1,2", "--phase", "0", *RUN]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.startswith("phase baseline: 2 points, 2 replication(s) each")
    assert "best: " in out


@pytest.mark.parametrize(
    "extra",
    [
        ["--param", "services[b].replicas=0,1"],  # invalid point
        ["--param", "services[zz].replicas=1,2"],  # unknown item
        ["--param", "services[b].replicas=1..3:1"],  # bad range
        ["--param", "a=1,2", "--param", "b=1,2", "--param", "c=1,2"],  # three parameters
        ["--param", "services[b].replicas=1,2", "--phase", "nope"],
        ["--param", "services[b].replicas=1,2", "--plot", "x.pdf"],
    ],
)
def test_invalid_input_exits_2(shop, extra, capsys):
    assert main(["sweep", str(shop), *extra, *RUN]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
