"""Ctrl-C on a parallel run exits 130 and leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import SAMPLES


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_ctrl_c_stops_the_pool_and_its_processes():
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "meshsim",
            "run",
            str(SAMPLES / "online-boutique.yaml"),
            "--workers",
            "2",
            "--replications",
            "6",
            "--quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(seen) < 3:  # forkserver + 2 workers
        seen |= descendants(proc.pid)
        time.sleep(0.1)
    assert len(seen) >= 3, "the pool never started"
    time.sleep(0.5)
    seen |= descendants(proc.pid)
    os.kill(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "cancelled" in err and "Traceback" not in err
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(p) for p in seen):
        time.sleep(0.1)
    assert not [p for p in seen if alive(p)]
