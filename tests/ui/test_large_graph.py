"""A 1,500-service graph opens, runs and quits cleanly (issue 10).

PySide6 6.12.0 decremented ``None``'s reference count in ``setAcceptHoverEvents`` and
after every Python ``itemChange`` override, so a few hundred graph items drove it to
zero and the interpreter died at exit with ``Fatal Python error: none_dealloc`` (exit
250). pyproject.toml keeps PySide6 below 6.12; these tests fail if that comes back.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import threading

import yaml
from PySide6.QtWidgets import QGraphicsRectItem

from tests.ui.ui_testing import REPO


def _tree(n: int) -> dict:
    """A tree-like graph of ``n`` services, fan-out from recent services, as importers give."""
    services = [{"name": f"s{i}", "serviceTime": "1ms", "calls": []} for i in range(n)]
    for i in range(1, n):
        parent = services[(i * 7919) % i if i > 1 else 0]
        parent["calls"].append({"to": f"s{i}", "probability": 0.02})
    return {
        "metadata": {"name": f"tree-{n}"},
        "services": services,
        "entrypoints": [{"name": "web", "service": "s0", "rate": "20/s"}],
        "rollout": {"phases": [{"name": "first", "services": [f"s{i}" for i in range(0, n, 3)]}]},
        "simulation": {"duration": "2s", "warmup": "0s", "replications": 1, "seed": 1},
    }


def test_python_item_overrides_do_not_leak_none_references(qtbot):
    class Item(QGraphicsRectItem):
        def itemChange(self, change, value):  # noqa: N802 - Qt override
            return super().itemChange(change, value)

    items = [Item() for _ in range(500)]
    for thread in threading.enumerate():
        if thread.name == "lint":  # an earlier test's lint frees thousands of Nones
            thread.join()
    gc.collect()  # the windows of earlier tests hold thousands of Nones
    gc.disable()
    try:
        before = sys.getrefcount(None)
        for item in items:
            item.setAcceptHoverEvents(True)
            item.setZValue(1)
        after = sys.getrefcount(None)
    finally:
        gc.enable()
    # a leak loses one reference per call (1,000 here); allow for unrelated churn
    assert after - before > -100


def test_a_1500_service_scenario_opens_runs_and_quits_with_exit_0(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(_tree(1500), sort_keys=False))
    shot = tmp_path / "big.png"
    run = subprocess.run(
        [sys.executable, "-m", "meshsim", "gui", str(path), "--run",
         "--screenshot", str(shot), "--quit"],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Fatal Python error" not in run.stderr
    assert shot.stat().st_size > 10_000
