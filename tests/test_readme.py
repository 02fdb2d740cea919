"""The README's commands work as written in a checkout with its own .venv."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys

from tests.conftest import ROOT, build


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    return [
        line.split("  #")[0].strip()
        for block in blocks
        for line in block.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_every_readme_command_uses_the_venv():
    commands = _commands()
    assert any("benchmarks/engine.py" in c for c in commands)
    for command in commands:
        program = shlex.split(command)[0]
        if program in ("python", "python3", "meshsim", "pip", "pytest"):
            raise AssertionError(f"README runs {program!r} from PATH: {command}")


def test_readme_benchmark_line_runs(tmp_path):
    from meshsim.files.scenario import dump_scenario

    line = next(c for c in _commands() if "benchmarks/engine.py" in c)
    argv = shlex.split(line)
    assert argv[0] == ".venv/bin/python"
    scenario = tmp_path / "small.yaml"
    small = build(
        [{"name": "a", "serviceTime": "1ms", "calls": [{"to": "b"}]}, {"name": "b"}],
        rollout={"phases": [{"name": "all", "services": ["a", "b"]}]},
        simulation={"duration": "2s"},
    )
    scenario.write_text(dump_scenario(small))
    done = subprocess.run(
        [sys.executable, *argv[1:], str(scenario), "--rounds", "1", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "meshsim / raw = " in done.stdout
