"""The run history and the problems list in the main window (issue 14)."""

from __future__ import annotations

import yaml
from PySide6.QtCore import Qt

from tests.ui.ui_testing import REPO, short_copy
from ui.inspector_extras import Selection
from ui.problems_list import BUSY_TEXT
from ui.run_history import differences


def _run(window, qtbot):
    worker = window.runs.start_run()
    with qtbot.waitSignal(worker.finished, timeout=60_000, raising=True):
        pass
    return window.session.run


def test_two_runs_appear_in_the_history_and_compare_side_by_side(window, qtbot, tmp_path):
    assert window.files.open_path(short_copy(REPO / "samples" / "retry-storm.yaml", tmp_path))
    first = _run(window, qtbot)

    def slower_web(data):
        data["services"][0]["serviceTime"] = "100ms"  # web: a 2 ms median before

    window.document.edit("slower web", slower_web)
    second = _run(window, qtbot)
    history = window.history
    assert history.list.count() == 2
    assert history.runs[0][1] is second and history.runs[1][1] is first  # newest first
    history.list.item(0).setSelected(True)
    history.list.item(1).setSelected(True)
    expected = differences(first, second)  # A: the older run, B: the newer
    assert history.table.rowCount() == len(expected)
    rows = {
        tuple(history.table.item(r, c).text() for c in range(3)): history.table.item(r, 5).text()
        for r in range(history.table.rowCount())
    }
    # every request passes web once: its p50 grows by about 100 - 2 ms in every phase
    for phase in first.phases:
        a = first.phases[phase.index].entrypoints["shop"].latency_ms.p50
        b = second.phases[phase.index].entrypoints["shop"].latency_ms.p50
        assert 90 < b - a < 110
        assert rows[(phase.name, "shop", "p50 ms")] == f"{b - a:+.3g}"


def test_a_lint_finding_is_listed_and_clicking_it_selects_its_field(window, qtbot, tmp_path):
    scenario = {
        "services": [
            {"name": "front", "serviceTime": "1ms", "calls": [{"to": "slow"}]},
            {"name": "slow", "serviceTime": "50ms", "concurrency": 1},
        ],
        "entrypoints": [{"name": "web", "service": "front", "rate": "100/s"}],
    }
    path = tmp_path / "overload.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False))
    assert window.files.open_path(str(path))
    problems = window.problems
    qtbot.waitUntil(lambda: problems.count() and problems.item(0).text() != BUSY_TEXT)
    assert problems.paths() == ["services[1].replicas"]
    assert problems.item(0).text().startswith("overload: slow is offered 5.00×")
    window.problems_dock.raise_()
    qtbot.waitUntil(problems.isVisible)
    qtbot.mouseClick(
        problems.viewport(),
        Qt.MouseButton.LeftButton,
        pos=problems.visualItemRect(problems.item(0)).center(),
    )
    assert window.inspector.selection == Selection("service", ("slow",))
    editor = window.inspector.editors["services[1].replicas"]
    qtbot.waitUntil(editor.widget.hasFocus)
