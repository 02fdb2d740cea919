"""One session, every view: the plan and phase on display, and results that go away."""

from __future__ import annotations

import pytest

from tests.ui.ui_testing import DATA, REPO, short_copy


def meshed_by_plan(plan: list[dict], phase: int) -> set[str]:
    """Services a plan (wire form) has meshed after ``phase``: its own phase lists."""
    return {name for step in plan[:phase] for name in step.get("services", [])}


def finish(qtbot, worker):
    with qtbot.waitSignal(worker.finished, timeout=120_000, raising=True) as blocker:
        pass
    return blocker.args[0]


@pytest.fixture
def compared(window, qtbot, tmp_path):
    """Bookinfo compared over few plans: its own, edge-first (named) and leaves-first (K=2)."""
    window.files.open_path(short_copy(REPO / "samples" / "bookinfo.yaml", tmp_path))
    window.runs.strategies = ["as-written", "leaves-first"]
    window.runs.phase_count = 2
    return window, finish(qtbot, window.runs.start_compare())


def assert_views_show(window, ordering, phase: int) -> None:
    """Graph, timeline and tables all show ``ordering`` at ``phase``."""
    results, timeline, graph = window.results, window.timeline, window.graph
    session = window.session
    assert session.plan == ordering.name and session.phase == phase
    # Tables: the plan's measured phases, the phase in bold, its services' numbers.
    assert results.ordering_combo.currentText() == ordering.name
    assert results.ranking_page.selected_plan == ordering.name
    table = results.phases_table
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers == [f"{p.index}\n{p.name}" for p in ordering.phases]
    bold = [c for c in range(table.columnCount()) if table.horizontalHeaderItem(c).font().bold()]
    assert bold == [phase]
    services = results.services_table
    measured = ordering.phases[phase].services
    shown = {services.item(r, 0).text(): services.item(r, 1).text() for r in range(len(measured))}
    assert shown == {n: f"{m.latency_ms.p99:.1f}" for n, m in measured.items()}
    # Timeline: the plan's phases as columns, the same phase on the slider.
    assert timeline.displayed_phase == phase and timeline.slider.maximum() == len(ordering.plan)
    columns = [{lst.item(i).text() for i in range(lst.count())} for lst in timeline.lists[1:]]
    assert columns == [set(step.get("services", [])) for step in ordering.plan]
    # Graph: the same phase, meshed as the plan says, coloured by its measured load.
    assert graph.phase == phase
    meshed = meshed_by_plan(ordering.plan, phase)
    assert {n for n, node in graph.nodes.items() if node.style.meshed} == meshed
    assert {n: node.style.heat for n, node in graph.nodes.items()} == {
        n: m.utilization for n, m in measured.items()
    }
    assert f"phase {phase}:" in window.phase_label.text()


def test_the_plan_picked_in_the_ranking_is_what_every_view_shows(compared):
    window, results = compared
    by_name = {o.name: o for o in results.orderings}
    assert set(by_name) == {"as-written", "edge-first", "leaves-first"}
    best = by_name[results.ranking[0]]
    last = len(best.plan)
    assert_views_show(window, best, last)  # after Compare: the best plan, its last phase
    # Pick a plan whose services join in another order than the best one's.
    other = next(
        o
        for o in results.orderings
        if any(meshed_by_plan(o.plan, p) != meshed_by_plan(best.plan, p) for p in (1, 2))
    )
    ranking = window.results.ranking_table
    row = next(r for r in range(ranking.rowCount()) if ranking.item(r, 1).text() == other.name)
    ranking.cellClicked.emit(row, 1)
    phase = min(last, len(other.plan))
    assert_views_show(window, other, phase)
    assert window.timeline.editable == (other.strategy == "as-written")
    # Another phase, picked on the timeline's slider: every view follows.
    window.timeline.slider.triggerAction(window.timeline.slider.SliderAction.SliderToMinimum)
    window.timeline.slider.triggerAction(window.timeline.slider.SliderAction.SliderSingleStepAdd)
    assert window.session.phase_chosen
    assert_views_show(window, other, 1)
    # And back to the scenario's own plan from the timeline: still phase 1 everywhere.
    if not window.timeline.editable:
        window.timeline.written_button.click()
        assert_views_show(window, by_name["as-written"], 1)
        assert window.timeline.editable


def fill_every_result(window, qtbot):
    """A comparison, then a run (which replaces it), a comparison and a blast radius."""
    window.runs.strategies = ["as-written"]
    finish(qtbot, window.runs.start_compare())
    assert window.results.ranking_table.rowCount() > 0
    assert window.action("run").isEnabled() and not window.action("cancel").isEnabled()
    worker = window.runs.start_run()
    # The action table's predicates follow the session: one job at a time.
    assert not window.action("run").isEnabled() and not window.action("compare").isEnabled()
    assert window.action("cancel").isEnabled() and window.action("save").isEnabled()
    run = finish(qtbot, worker)
    assert window.action("run").isEnabled() and not window.action("cancel").isEnabled()
    assert window.session.comparison is None and window.session.run is run
    assert window.results.ranking_table.rowCount() == 0  # no ranking of a replaced comparison
    finish(qtbot, window.runs.start_compare())
    window.results.tabs.setCurrentIndex(4)
    finish(qtbot, window.runs.start_blast())
    session, results = window.session, window.results
    assert session.comparison is not None and session.blast is not None
    assert results.blast_view.table.rowCount() > 0 and results.ranking_table.rowCount() > 0


def assert_no_results(window):
    session, results = window.session, window.results
    assert session.run is None and session.comparison is None and session.blast is None
    assert session.plan == "" and session.phase == 0 and not session.phase_chosen
    assert results.phases_table.columnCount() == 0 or results.phases_table.rowCount() == 0
    assert results.services_table.rowCount() == 0
    assert results.ranking_table.rowCount() == 0 and not results.ordering_combo.isVisible()
    assert not results.charts.figures
    blast = results.blast_view
    assert blast.measured is None and blast.table.rowCount() == 0 and blast.table.isHidden()
    # The tab on display redrew for the new scenario: no measured outage note is left.
    assert blast.note.text() and "Outage" not in blast.note.text()
    assert all(node.style.heat is None for node in window.graph.nodes.values())
    assert window.timeline.editable and window.timeline.displayed_phase == 0
    assert not window.action("export_report").isEnabled()
    assert not window.action("export_json").isEnabled()


def test_opening_a_file_clears_every_old_result(window, qtbot, tmp_path):
    path = short_copy(REPO / "samples" / "bookinfo.yaml", tmp_path)
    window.files.open_path(path)
    fill_every_result(window, qtbot)
    assert window.action("export_report").isEnabled()
    assert window.files.open_path(short_copy(REPO / "samples" / "retry-storm.yaml", tmp_path))
    assert_no_results(window)


def test_importing_a_graph_clears_every_old_result(window, qtbot, tmp_path):
    window.files.open_path(short_copy(REPO / "samples" / "bookinfo.yaml", tmp_path))
    fill_every_result(window, qtbot)
    source = DATA / "formats" / "generic" / "online-boutique.dot"
    assert window.files.import_files("dot", [str(source)])
    assert_no_results(window)
    assert "Imported" in window.banner.text  # the import's note survives the reset


def test_new_clears_every_old_result(window, qtbot, tmp_path):
    window.files.open_path(short_copy(REPO / "samples" / "bookinfo.yaml", tmp_path))
    fill_every_result(window, qtbot)
    window.files.new()
    assert_no_results(window)


def test_use_this_plan_adopts_the_plan_on_display_as_one_undo_step(compared):
    window, results = compared
    session, timeline = window.session, window.timeline
    written = session.document.scenario
    other = next(o for o in results.orderings if o.strategy != "as-written")
    session.set_plan(other.name)
    assert timeline.use_button.isVisibleTo(window) and not timeline.editable
    timeline.use_button.click()
    adopted = session.document.scenario
    assert [p.model_dump(mode="json", by_alias=True, exclude_defaults=True)
            for p in adopted.rollout.phases] == other.plan  # fmt: skip
    assert session.document.is_dirty and session.stale
    assert timeline.editable and not timeline.use_button.isVisibleTo(window)
    assert window.action("undo").text().endswith(f"use plan {other.name}")
    session.document.undo_stack.undo()
    assert session.document.scenario == written
