from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.ui.ui_testing import REPO, SAMPLES, bug_job, short_copy, simulation_error_job
from ui import dialogs
from ui.app import run_gui


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_every_sample_opens_and_runs(window, qtbot, tmp_path, sample):
    assert window.files.open_path(short_copy(sample, tmp_path))
    scenario = window.document.scenario
    assert set(window.graph.nodes) == {s.name for s in scenario.services}
    assert len(window.timeline.lists) == len(scenario.rollout.phases) + 1
    worker = window.runs.start_run()
    assert window.runs.start_run() is None  # one run per window at a time
    with qtbot.waitSignal(worker.finished, timeout=60_000, raising=True):
        pass
    table = window.results.phases_table
    assert table.columnCount() == len(scenario.rollout.phases) + 1
    assert table.rowCount() > 5 and table.item(0, 0).text()
    assert window.results.services_table.rowCount() == len(scenario.services)
    assert len(window.results.charts.figures) == 6
    assert all(node.style.heat is not None for node in window.graph.nodes.values())
    assert not window.progress.isVisible()


def test_compare_fills_ranking_tables_and_charts(window, qtbot, tmp_path):
    window.files.open_path(short_copy(REPO / "samples" / "bookinfo.yaml", tmp_path))
    worker = window.runs.start_compare()
    progress = []
    worker.progress.connect(progress.append)
    with qtbot.waitSignal(worker.finished, timeout=60_000, raising=True) as blocker:
        pass
    results = blocker.args[0]
    ranking = window.results.ranking_table
    assert ranking.rowCount() == len(results.orderings)
    assert ranking.item(0, 1).text() == results.ranking[0]
    assert window.results.ordering_combo.currentText() == results.ranking[0]
    figure = window.results.charts.figures["mtls-coverage"]
    assert len(figure.axes[0].get_lines()) == len(results.orderings)
    assert progress and progress[-1] == pytest.approx(1.0)
    headers = [ranking.horizontalHeaderItem(i).text() for i in range(ranking.columnCount())]
    assert headers[:7] == [
        "#",
        "plan",
        "score",
        "vs best\n±95%",
        "breaks",
        "SLO\nmisses",
        "limits",
    ]
    assert ranking.item(0, 3).text() == "best"
    for row in range(1, ranking.rowCount()):
        score = next(o.score for o in results.orderings if o.name == ranking.item(row, 1).text())
        assert ranking.item(row, 3).text().endswith("≈") == bool(score.tied_with_best)
    assert window.results.ranking_page.verdict.text().startswith(results.verdict)
    # The deciding columns show without scrolling in the default window (1400×900).
    assert sum(ranking.columnWidth(i) for i in range(7)) <= ranking.viewport().width()
    shown = [i for i in range(ranking.columnCount()) if not ranking.isColumnHidden(i)]
    assert all(ranking.columnWidth(i) >= 28 for i in shown)
    assert "Mean per-phase exposure" in ranking.horizontalHeaderItem(7).toolTip()
    # At 1366×768 the narrow dock shows every column it keeps without sideways
    # scrolling; the others are hidden, named in a note, and in every row's tooltip.
    window.resize(1366, 768)
    window.reset_layout()
    page = window.results.ranking_page

    def fits() -> bool:
        shown = [i for i in range(ranking.columnCount()) if not ranking.isColumnHidden(i)]
        return sum(ranking.columnWidth(i) for i in shown) <= ranking.viewport().width()

    qtbot.waitUntil(fits, timeout=3000)  # refitted once the dock has its new width
    assert page.hidden_note.isVisibleTo(page)
    assert all(not ranking.isColumnHidden(i) for i in range(7))
    assert ranking.horizontalScrollBar().maximum() == 0
    hidden = [ranking.horizontalHeaderItem(i).text().replace("\n", " ") for i in range(14)
              if ranking.isColumnHidden(i)]  # fmt: skip
    assert hidden and all(h in page.hidden_note.text() for h in hidden)
    assert "strategy: " in ranking.item(0, 2).toolTip()
    assert f"plan: {results.ranking[0]}" in ranking.item(0, 1).toolTip()
    ranking.cellClicked.emit(1, 1)
    assert window.results.ordering_combo.currentText() == results.ranking[1]
    window.timeline.set_displayed_phase(1)
    assert window.results.services_table.rowCount() == len(window.document.scenario.services)


def test_the_last_phase_is_shown_after_a_run_unless_one_was_chosen(boutique, qtbot):
    window = boutique
    timeline = window.timeline
    assert timeline.displayed_phase == 0 and not timeline.phase_chosen
    worker = window.runs.start_run()
    with qtbot.waitSignal(worker.finished, timeout=60_000, raising=True):
        pass
    assert timeline.displayed_phase == 4 == window.graph.phase
    assert "phase 4: edge" in window.phase_label.text()
    assert all(node.style.meshed for node in window.graph.nodes.values())
    # The user picks phase 2 with the slider: the next run keeps it.
    for _ in range(2):
        timeline.slider.triggerAction(timeline.slider.SliderAction.SliderSingleStepSub)
    assert timeline.displayed_phase == 2 and timeline.phase_chosen
    worker = window.runs.start_run()
    with qtbot.waitSignal(worker.finished, timeout=60_000, raising=True):
        pass
    assert timeline.displayed_phase == 2 == window.graph.phase
    # Another scenario: back to the baseline, and to the last phase after its run.
    window.files.open_path(window.document.path)
    assert timeline.displayed_phase == 0 and not timeline.phase_chosen


def test_html_report_of_a_comparison(window, qtbot, tmp_path, monkeypatch):
    window.files.open_path(short_copy(REPO / "samples" / "retry-storm.yaml", tmp_path))
    report = tmp_path / "report.html"
    monkeypatch.setattr(dialogs, "save_file", lambda *a, **k: str(report))
    window.files.export_report()
    assert window.banner.level == "info" and not report.exists()  # needs a comparison
    worker = window.runs.start_compare()
    with qtbot.waitSignal(worker.finished, timeout=60_000, raising=True):
        pass
    window.files.export_report()
    assert "<html" in report.read_text().lower()


def test_blast_radius_fills_heat_map(window, qtbot, tmp_path):
    window.files.open_path(short_copy(REPO / "samples" / "bookinfo.yaml", tmp_path))
    window.results.tabs.setCurrentIndex(4)
    assert window.results.blast_view.figure.axes
    worker = window.runs.start_blast()
    with qtbot.waitSignal(worker.finished, timeout=60_000, raising=True):
        pass
    view = window.results.blast_view
    assert view.table.rowCount() == len(window.document.scenario.services)
    view.table.cellClicked.emit(0, 0)
    assert window.inspector.title.text() == f"Service {view.table.item(0, 0).text()}"


def test_cancel_a_run(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(dialogs, "ask_long_run", lambda *_a: True)  # it is long on purpose
    long = short_copy(
        REPO / "samples" / "online-boutique.yaml", tmp_path, duration="600s", replications=3
    )
    window.files.open_path(long)
    window.runs.start_run()
    # Wait on what the GUI thread shows, not on the worker thread's frequent signal.
    qtbot.waitUntil(lambda: window.progress.value() > 0, timeout=60_000)
    assert window.cancel_button.isVisible()
    with qtbot.waitSignal(window.runs.job_ended, timeout=60_000, raising=True):
        window.cancel_button.click()
    assert window.banner.level == "info" and "Cancelled" in window.banner.text
    assert window.results.run is None
    assert window.action("run").isEnabled()


def test_failing_run_is_shown_as_a_message(boutique, qtbot):
    boutique.runs.job_target = simulation_error_job
    # Connected before the start: a job that fails at once may report before a
    # connection made after start_run() returns.
    with qtbot.waitSignal(boutique.runs.job_ended, timeout=10_000, raising=True):
        boutique.runs.start_run()
    assert boutique.banner.level == "error"
    assert "Run failed: no phase named 'nope'" in boutique.banner.text


def test_unexpected_error_gets_a_traceback_dialog(boutique, qtbot, monkeypatch):
    shown = []
    monkeypatch.setattr(dialogs, "show_traceback", lambda parent, title, err: shown.append(err))
    boutique.runs.job_target = bug_job
    with qtbot.waitSignal(boutique.runs.job_ended, timeout=10_000, raising=True):
        boutique.runs.start_run()
    assert "ZeroDivisionError" in shown[0].details
    assert "unexpected error" in boutique.banner.text


def test_screenshot_after_loading(qtbot, tmp_path, settings):
    shot = tmp_path / "shot.png"
    sample = str(REPO / "samples" / "retry-storm.yaml")
    assert run_gui(sample, str(shot), False, True, settings=settings) == 0
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1400, 900)


def test_screenshot_of_a_bad_file_exits_2(tmp_path, settings):
    bad = tmp_path / "bad.yaml"
    bad.write_text("services: []\n")
    assert run_gui(str(bad), str(tmp_path / "x.png"), False, True, settings=settings) == 2


def test_python_m_ui_runs_screenshots_and_quits(tmp_path):
    scenario = short_copy(REPO / "samples" / "bookinfo.yaml", tmp_path)
    shot = tmp_path / "cli.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ui",
            str(scenario),
            "--run",
            "--screenshot",
            str(shot),
            "--quit",
            "--size",
            "1200x750",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    from PySide6.QtGui import QImage

    assert QImage(str(shot)).size().toTuple() == (1200, 750)
