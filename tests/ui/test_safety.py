"""The app never changes or loses the user's work without asking (issue 10)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QWidget

from tests.ui.ui_testing import REPO, crashing_job, short_copy
from ui import dialogs
from ui.main_window import MainWindow


def wheel(widget: QWidget, steps: int = -1) -> None:
    """Turn the mouse wheel over the middle of ``widget``, as the window system does."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def test_wheel_over_an_unfocused_combo_box_changes_nothing(boutique, qtbot):
    window = boutique
    window.inspector.select_scenario()
    editor = window.inspector.editors["mesh.profile"]
    combo = editor.widget
    assert isinstance(combo, QComboBox)
    before = window.document.scenario
    text = combo.currentText()
    window.graph.setFocus()
    for steps in (-1, -1, 1, -3):
        wheel(combo, steps)
    assert combo.currentText() == text
    assert window.document.scenario == before
    assert not window.document.is_dirty


def test_wheel_over_the_inspector_scrolls_it_instead(boutique, qtbot):
    window = boutique
    window.resize(1366, 600)
    window.inspector.select_scenario()
    qtbot.waitUntil(lambda: window.inspector.scroll.verticalScrollBar().maximum() > 0)
    bar = window.inspector.scroll.verticalScrollBar()
    bar.setValue(0)
    combo = window.inspector.editors["mesh.profile"].widget
    window.graph.setFocus()
    wheel(combo, -2)
    assert bar.value() > 0
    assert not window.document.is_dirty


def test_a_focused_combo_box_still_takes_the_wheel(boutique, qtbot):
    window = boutique
    window.inspector.select_scenario()
    combo = window.inspector.editors["mesh.profile"].widget
    combo.setFocus()
    qtbot.waitUntil(combo.hasFocus)
    text = combo.currentText()
    wheel(combo, -1 if combo.currentIndex() == 0 else 1)
    assert combo.currentText() != text


def test_wheel_over_the_phase_slider_without_focus_keeps_the_phase(boutique, qtbot):
    window = boutique
    slider = window.timeline.slider
    assert slider.isEnabled() and slider.maximum() >= 2
    window.session.set_phase(1, chosen=True)
    window.graph.setFocus()
    wheel(slider, 1)
    assert window.session.phase == 1


def test_a_sample_opens_as_an_untitled_copy_and_save_asks_for_a_path(window, tmp_path, monkeypatch):
    shipped = tmp_path / "shipped" / "retry-storm.yaml"
    shipped.parent.mkdir()
    shipped.write_bytes((REPO / "samples" / "retry-storm.yaml").read_bytes())
    before = shipped.read_bytes()
    gallery = window.files.show_gallery()
    gallery.sample_chosen.emit(str(shipped))
    assert window.document.scenario.metadata.name
    assert window.document.path is None
    assert not window.document.is_dirty
    assert "untitled" in window.windowTitle()
    asked: list[str] = []
    target = tmp_path / "mine.yaml"

    def save_file(_parent, _title, suggested="", _filters=""):
        asked.append(suggested)
        return str(target)

    monkeypatch.setattr(dialogs, "save_file", save_file)
    assert window.action("save").isEnabled()
    window.action("save").trigger()
    assert len(asked) == 1 and Path(asked[0]).name.endswith(".yaml")
    assert Path(asked[0]).parent != shipped.parent
    assert target.exists()
    assert window.document.path == target
    assert shipped.read_bytes() == before
    comments = [line for line in before.decode().splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in target.read_text().splitlines() for line in comments)
    # Saving again, unchanged, writes nothing.
    stamp = target.stat().st_mtime_ns
    target.chmod(0o444)
    try:
        window.action("save").trigger()
    finally:
        target.chmod(0o644)
    assert target.stat().st_mtime_ns == stamp
    assert len(asked) == 1


def test_cancel_kills_the_simulation_process_within_a_second(window, tmp_path, qtbot, monkeypatch):
    monkeypatch.setattr(dialogs, "ask_long_run", lambda *_a: True)
    long_run = short_copy(
        REPO / "samples" / "online-boutique.yaml", tmp_path, duration="3600s", warmup="1s"
    )
    assert window.files.open_path(long_run)
    before = window.document.scenario
    worker = window.runs.start_run()
    pid = worker.pid
    assert pid is not None and pid != os.getpid()
    progress: list[float] = []
    worker.progress.connect(progress.append)
    qtbot.waitUntil(lambda: bool(progress), timeout=60_000)  # the simulation is under way
    assert worker.is_running
    started = time.monotonic()
    window.action("cancel").trigger()
    qtbot.waitUntil(lambda: not _alive(pid), timeout=1000)
    assert time.monotonic() - started < 1.0
    assert not window.runs.busy and not window.session.busy
    assert window.session.run is None
    assert window.document.scenario == before and not window.document.is_dirty
    assert window.action("run").isEnabled()


def test_a_crash_of_the_simulation_process_shows_an_error_and_keeps_the_edits(boutique, qtbot):
    window = boutique
    window.document.edit("Edit metadata.name", lambda d: d["metadata"].update(name="mine"))
    edited = window.document.scenario
    window.runs.job_target = crashing_job
    worker = window.runs.start_run()
    with qtbot.waitSignal(worker.errored, timeout=60_000) as blocker:
        pass
    assert "killed" in str(blocker.args[0])
    assert window.banner.isVisible() and "Run failed" in window.banner.text
    assert window.document.scenario == edited and window.document.is_dirty
    assert not window.session.busy
    assert not _alive(worker.pid)


def _alive(pid: int) -> bool:
    """True while ``pid`` is a running (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] not in "ZX"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def test_mesh_policy_button_creates_a_policy_only_when_a_value_changes(boutique, qtbot):
    window = boutique
    worker = window.runs.start_run()
    with qtbot.waitSignal(worker.finished, timeout=120_000):
        pass
    before = window.document.scenario
    hosts = [p.host for p in before.mesh.policies]
    name = next(s.name for s in before.services if s.name not in hosts)
    window.select_service(name)
    window.inspector.extras.policy_for_service()
    assert window.inspector.title.text() == f"Mesh policy for {name}"
    assert window.document.scenario == before
    assert not window.document.is_dirty and not window.session.stale
    assert window.inspector.findChild(QWidget, "policy_draft_note") is not None
    path = f"mesh.policies[{len(hosts)}].retries.attempts"
    editor = window.inspector.editors[path]
    editor.widget.setText("3")
    editor.widget.editingFinished.emit()
    policies = window.document.scenario.mesh.policies
    assert [p.host for p in policies] == [*hosts, name]
    assert policies[-1].retries.attempts == 3
    assert window.document.is_dirty and window.session.stale
    assert window.inspector.selection.kind == "policy"
    assert window.inspector.findChild(QWidget, "policy_draft_note") is None
    window.action("undo").trigger()
    assert window.document.scenario == before


def test_meshsim_gui_and_python_m_ui_take_the_same_options(monkeypatch):
    from meshsim.cli import build_parser
    from meshsim.cli import gui as gui_command
    from ui.app import parse_args

    argv = ["s.yaml", "--run", "--screenshot", "x.png", "--quit", "--size", "1366x768"]
    started: list[list[str]] = []
    monkeypatch.setattr(
        gui_command.subprocess, "call", lambda cmd, env=None: started.append(cmd) or 0
    )
    args = build_parser().parse_args(["gui", *argv])
    assert args.func(args) == 0
    assert started[0][1:4] == ["-P", "-m", "ui"]  # -P: never a folder of the cwd's
    assert parse_args(started[0][4:]) == parse_args(argv)
    assert parse_args(argv).size == "1366x768"


def test_about_shows_the_version(window, monkeypatch):
    from meshsim import __version__

    shown: list[str] = []
    monkeypatch.setattr(dialogs, "show_info", lambda _p, title, text: shown.append(text))
    window.action("about").trigger()
    assert __version__ in shown[0]


def test_unsaved_edits_survive_a_crash_and_a_clean_quit_removes_them(
    boutique, settings, qtbot, monkeypatch
):
    window = boutique
    recovery = window.recovery
    window.recovery._timer.setInterval(50)
    window.document.edit("Edit metadata.name", lambda d: d["metadata"].update(name="mine"))
    qtbot.waitUntil(recovery.file.exists, timeout=2000)  # written by the timer alone
    edited = window.document.scenario
    recovery.abandon()  # the process "crashes": the file stays, its window is gone

    offered: list[tuple] = []
    monkeypatch.setattr(dialogs, "ask_restore", lambda *args: offered.append(args) or True)
    again = MainWindow(settings)
    qtbot.addWidget(again)
    assert again.offer_recovery()
    assert offered and offered[0][1] == "mine"
    assert again.document.scenario == edited
    assert again.document.is_dirty
    assert again.document.path == window.document.path
    assert not recovery.file.exists()  # the orphan is gone, the new window keeps its own
    assert again.recovery.file.exists()
    assert not again.offer_recovery()  # nothing left to offer
    # Saving removes the recovery file; so does a clean quit.
    again.files.save()
    assert not again.document.is_dirty and not again.recovery.file.exists()
    again.document.edit("Edit metadata.name", lambda d: d["metadata"].update(name="again"))
    again.recovery.write_now()
    assert again.recovery.file.exists()
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda *a: dialogs.DISCARD)
    again.close()
    assert not again.recovery.file.exists()
    assert not MainWindow(settings).offer_recovery()


def test_undo_says_in_words_what_it_undoes(boutique):
    window = boutique
    window.select_service("cartservice")
    editor = window.inspector.editors[f"services[{_index(window, 'cartservice')}].replicas"]
    editor.widget.setText("3")
    editor.widget.editingFinished.emit()
    assert window.action("undo").text() == "Undo: cartservice → 3 replicas"
    assert window.action("undo").iconText() == "Undo"
    window.action("undo").trigger()
    assert window.action("redo").text() == "Redo: cartservice → 3 replicas"


def _index(window, name: str) -> int:
    return [s.name for s in window.document.scenario.services].index(name)


def test_a_run_estimated_over_a_minute_asks_first(window, tmp_path, monkeypatch):
    long_run = short_copy(
        REPO / "samples" / "online-boutique.yaml", tmp_path, duration="36000s", replications=5
    )
    assert window.files.open_path(long_run)
    asked: list[str] = []
    monkeypatch.setattr(dialogs, "ask_long_run", lambda _p, t, s: asked.append(s) or False)
    assert window.runs.start_run() is None  # declined: nothing starts
    assert asked and "visits" in asked[0]
    assert not window.session.busy and window.runs.worker is None
    assert window.runs.start_compare() is None
    assert len(asked) == 2


def test_a_run_that_cannot_fit_in_memory_is_refused(boutique, monkeypatch):
    window = boutique
    huge = window.runs.estimate(window.document.scenario)
    huge = type(huge)(**{**huge.__dict__, "peak_bytes": 1e18, "seconds": 1.0})
    monkeypatch.setattr(window.runs, "estimate", lambda *a, **k: huge)
    assert window.runs.start_run() is None
    assert window.banner.level == "error" and "not started" in window.banner.text


def test_service_names_of_the_samples_are_not_elided(boutique):
    from PySide6.QtGui import QFontMetricsF

    from ui.graph_items import NAME_PAD, NAME_PT, node_font

    metrics = QFontMetricsF(node_font(True, NAME_PT))
    for name, node in boutique.graph.nodes.items():
        assert metrics.horizontalAdvance(name) + NAME_PAD - 8 <= node.width, name


@pytest.mark.parametrize("size", [(1400, 900), (1366, 768)])
def test_key_figures_of_every_phase_fit_without_horizontal_scrolling(boutique, qtbot, size):
    window = boutique
    window.resize(*size)
    window.reset_layout()
    worker = window.runs.start_run()
    with qtbot.waitSignal(worker.finished, timeout=120_000):
        pass
    results = window.results
    results.tabs.setCurrentIndex(0)
    key = results.key_table
    qtbot.waitUntil(key.isVisible)
    QApplication.processEvents()
    headers = [key.horizontalHeaderItem(c).text() for c in range(key.columnCount())]
    assert headers == ["phase", "ok %", "p99 ms", "SLO", "retry ×", "breaks", "exposure"]
    assert key.rowCount() == len(window.document.scenario.rollout.phases) + 1
    assert key.horizontalHeader().length() <= key.viewport().width()
    assert not key.horizontalScrollBar().isVisible()
    metrics = key.fontMetrics()
    for column in range(1, key.columnCount()):
        for row in range(key.rowCount()):
            text = key.item(row, column).text()
            assert metrics.horizontalAdvance(text) <= key.columnWidth(column), (row, text)
    assert not key.verticalScrollBar().isVisible()  # every phase in view


def test_inherited_values_are_grey_placeholders_that_say_where_they_come_from(boutique):
    window = boutique

    def set_defaults(data):
        data.setdefault("mesh", {}).setdefault("defaults", {})["retries"] = {"attempts": 3}

    window.document.edit("defaults", set_defaults)
    hosts = [p.host for p in window.document.scenario.mesh.policies]
    name = next(s.name for s in window.document.scenario.services if s.name not in hosts)
    window.select_service(name)
    window.inspector.extras.policy_for_service()
    attempts = window.inspector.editors[f"mesh.policies[{len(hosts)}].retries.attempts"]
    assert attempts.widget.text() == ""
    assert attempts.widget.placeholderText() == "3 — from mesh.defaults"
    window.inspector.select_scenario()
    duration = window.inspector.editors["simulation.seed"]
    assert duration.widget.text() == "42"  # written in the file: shown as a value


def test_gui_set_opens_the_change_as_one_unsaved_undoable_edit(window, tmp_path):
    from ui.app import apply_sets, scenario_with_sets

    path = tmp_path / "storm.yaml"
    original = (REPO / "samples" / "retry-storm.yaml").read_text()
    path.write_text(original)
    sets = ["services[api].replicas=5"]
    changed = scenario_with_sets(str(path), sets)
    assert window.files.open_path(path)
    apply_sets(window, changed, sets)
    assert window.document.scenario.service("api").replicas == 5
    assert window.document.is_dirty
    assert window.document.undo_stack.undoText() == "--set services[api].replicas=5"
    assert window.files.save()
    saved = path.read_text().splitlines()
    before = original.splitlines()
    assert len(saved) == len(before)
    changed_lines = [(i, b) for i, (a, b) in enumerate(zip(before, saved, strict=True)) if a != b]
    assert changed_lines == [(73, "    replicas: 5")]  # api's replicas, nothing else
    window.document.undo_stack.undo()
    assert window.document.scenario.service("api").replicas == 2


def test_gui_bad_set_exits_2_naming_the_path(tmp_path, settings, capsys):
    from ui.app import run_gui

    path = tmp_path / "storm.yaml"
    path.write_text((REPO / "samples" / "retry-storm.yaml").read_text())
    code = run_gui(str(path), None, False, True, settings=settings, sets=["services[nope].x=1"])
    assert code == 2
    assert "--set services[nope].x=1" in capsys.readouterr().err


def test_unset_proxy_numbers_show_the_profiles_own_greyed(boutique):
    window = boutique
    window.inspector.select_scenario()
    editors = window.inspector.editors
    # Istio's sidecar (SPEC §10): lognormal p50 0.09 ms, p99 0.25 ms; 0.2 vCPU; 60 MiB
    latency = editors["mesh.proxy.latency"].widget
    assert latency.text() == ""
    assert latency.placeholderText() == "lognormal p50 0.09ms, p99 0.25ms — istio-sidecar profile"
    assert editors["mesh.proxy.cpuPer1kRps"].widget.placeholderText() == (
        "0.2 — istio-sidecar profile"
    )
    assert editors["mesh.proxy.memoryMiB"].widget.placeholderText() == (
        "60 — istio-sidecar profile"
    )
