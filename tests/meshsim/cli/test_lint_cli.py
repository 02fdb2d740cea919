"""`meshsim lint` on the command line: FILE:LINE:COL, JSON, exit codes."""

from __future__ import annotations

import json

from meshsim.cli import main
from tests.conftest import SAMPLES

TEXT = """\
services:
  - name: a
    calls: [{to: b}]
  - name: b
    replicas: 1
    serviceTime: 3s
entrypoints:
  - {name: web, service: a, rate: 10/s}
rollout:
  phases:
    - name: p1
      services: [b]
      mtls:
        - {scope: service, name: b, mode: STRICT}
"""


def test_lines_and_exit_codes(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(TEXT)
    assert main(["lint", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{path}:5:5: error overload: b is offered 1.88× ")
    assert out[1].startswith(
        f"{path}:14:37: error strict-before-callers: phase p1: b is STRICT while a is not meshed"
    )
    assert out[1].endswith("(fix: mesh its callers first, or keep b PERMISSIVE until they are)")
    assert main(["lint", str(path), "--fail-on", "error"]) == 3
    assert main(["lint", str(path), "--fail-on", "warning"]) == 3
    capsys.readouterr()
    assert (
        main(
            [
                "lint",
                str(path),
                "--set",
                "services[b].replicas=4",
                "--set",
                "rollout.phases[p1].mtls=[]",
                "--fail-on",
                "warning",
            ]
        )
        == 0
    )
    assert capsys.readouterr().out == ""


def test_json_and_sample(capsys):
    path = SAMPLES / "retry-storm.yaml"
    assert main(["lint", str(path), "--json", "-", "--fail-on", "error"]) == 0
    doc = json.loads(capsys.readouterr().out)
    amp = [f for f in doc["findings"] if f["code"] == "retry-amplification"]
    assert len(amp) == 1
    line = path.read_text().splitlines()[amp[0]["line"] - 1]
    assert line.strip() == "attempts: 2" and amp[0]["severity"] == "warning"
    assert set(amp[0]) == {"file", "line", "column", "severity", "code", "message", "fix"}
    assert main(["lint", str(path), "--fail-on", "warning"]) == 3


def test_invalid_input_exits_2(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text(TEXT)
    assert main(["lint", str(path), "--set", "services[b].replicas=0"]) == 2
    assert "--set services[b].replicas=0: services[1].replicas" in capsys.readouterr().err
