from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QPoint, Qt
from PySide6.QtGui import QDropEvent, QFocusEvent
from PySide6.QtWidgets import QApplication

from models import Scenario


def drop(phase_list, names: list[str]) -> None:
    """Drop service names on a timeline column, as a drag from another column does."""
    mime = QMimeData()
    mime.setText("\n".join(names))
    event = QDropEvent(
        QPoint(5, 5).toPointF(),
        Qt.DropAction.MoveAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    phase_list.dropEvent(event)


def phase_of(scenario: Scenario, service: str) -> str | None:
    for phase in scenario.rollout.phases:
        if service in phase.services:
            return phase.name
    return None


def test_drag_a_service_to_another_phase_then_undo_and_redo(boutique, qtbot):
    window = boutique
    timeline = window.timeline
    assert phase_of(window.document.scenario, "cartservice") == "mid-tier"
    pilot = timeline.lists[1]
    assert pilot.phase == 1
    drop(pilot, ["cartservice"])
    qtbot.waitUntil(lambda: phase_of(window.document.scenario, "cartservice") == "pilot")
    texts = [timeline.lists[1].item(i).text() for i in range(timeline.lists[1].count())]
    assert "cartservice" in texts
    assert window.isWindowModified()
    assert window.action("undo").shortcut().toString() == "Ctrl+Z"
    assert "Ctrl+Shift+Z" in [s.toString() for s in window.action("redo").shortcuts()]
    window.action("undo").trigger()
    assert phase_of(window.document.scenario, "cartservice") == "mid-tier"
    assert not window.isWindowModified()
    window.action("redo").trigger()
    assert phase_of(window.document.scenario, "cartservice") == "pilot"


def test_drop_to_no_phase_and_several_at_once(boutique, qtbot):
    window = boutique
    drop(window.timeline.lists[0], ["adservice", "emailservice"])
    qtbot.waitUntil(lambda: window.document.scenario.rollout.phases[0].services == [])
    assert window.timeline.lists[0].count() == 2
    assert window.document.undo_stack.count() == 1


def test_phases_add_rename_reorder_remove(boutique):
    window = boutique
    timeline = window.timeline
    names = lambda: [p.name for p in window.document.scenario.rollout.phases]  # noqa: E731
    timeline.add_button.click()
    assert names() == ["pilot", "leaf-backends", "mid-tier", "edge", "phase-5"]
    editor = timeline.columns[5].findChild(
        type(
            timeline.columns[5].findChildren(__import__("PySide6.QtWidgets").QtWidgets.QLineEdit)[0]
        ),
        "phase_name",
    )
    editor.setText("cleanup")
    editor.editingFinished.emit()
    assert names()[-1] == "cleanup"
    timeline._move_phase(1, +1)
    assert names()[:2] == ["leaf-backends", "pilot"]
    timeline._remove_phase(5)
    assert names() == ["leaf-backends", "pilot", "mid-tier", "edge"]
    editor = timeline.columns[1].findChildren(
        __import__("PySide6.QtWidgets").QtWidgets.QLineEdit, "phase_name"
    )[0]
    editor.setText("pilot")
    editor.editingFinished.emit()
    assert window.banner.level == "error" and "duplicate phase name" in window.banner.text
    assert names() == ["leaf-backends", "pilot", "mid-tier", "edge"]


def test_mtls_menu_sets_strict_and_graph_shows_refused_edges(boutique):
    window = boutique
    timeline = window.timeline
    timeline._set_mtls(2, [{"scope": "mesh", "mode": "STRICT"}])
    rules = window.document.scenario.rollout.phases[1].mtls
    assert [(r.scope, r.mode) for r in rules] == [("mesh", "STRICT")]
    timeline.set_displayed_phase(2)
    assert window.graph.phase == 2
    assert window.graph.edges[("frontend", "currencyservice")].style.kind == "broken"
    assert window.graph.edges[("frontend", "adservice")].style.kind == "broken"
    timeline.set_displayed_phase(4)
    assert window.graph.edges[("frontend", "currencyservice")].style.kind == "mtls"


def test_invalid_value_shows_an_inline_error_and_changes_nothing(boutique):
    window = boutique
    window.select_service("frontend")
    inspector = window.inspector
    assert inspector.title.text() == "Service frontend"
    editor = inspector.editors["services[0].replicas"]
    assert editor.widget.toolTip().startswith("Replicas (pods).")  # + "Sweep this…"
    editor.widget.setText("0")
    editor.widget.editingFinished.emit()
    assert editor.error.isVisibleTo(inspector)
    assert "at least 1" in editor.error.text()
    assert window.document.scenario.service("frontend").replicas == 3
    assert not window.isWindowModified()
    editor.widget.setText("5")
    editor.widget.editingFinished.emit()
    assert window.document.scenario.service("frontend").replicas == 5
    assert not inspector.editors["services[0].replicas"].error.isVisibleTo(inspector)
    window.action("undo").trigger()
    assert window.document.scenario.service("frontend").replicas == 3


def test_duration_needs_a_unit(boutique):
    window = boutique
    window.inspector.select_call("frontend", "adservice")
    assert window.inspector.title.text() == "Call of frontend"
    path = [p for p in window.inspector.editors if p.endswith(".timeout")][0]
    editor = window.inspector.editors[path]
    assert editor.widget.text() == "100ms"
    editor.widget.setText("250")
    editor.widget.editingFinished.emit()
    assert "needs a unit" in editor.error.text()
    editor.widget.setText("250ms")
    editor.widget.editingFinished.emit()
    call = [
        c for c in window.document.scenario.service("frontend").iter_calls() if c.to == "adservice"
    ][0]
    assert call.timeout == 0.25


def test_renaming_a_service_renames_its_references(boutique):
    window = boutique
    window.select_service("cartservice")
    editor = window.inspector.editors["services[3].name"]
    editor.widget.setText("carts")
    editor.widget.editingFinished.emit()
    scenario = window.document.scenario
    assert "carts" in scenario.rollout.phases[2].services
    assert any(c.to == "carts" for c in scenario.service("frontend").iter_calls())
    assert window.inspector.title.text() == "Service carts"
    assert "carts" in window.graph.nodes


def test_nested_policy_fields_and_cross_field_errors(boutique):
    window = boutique
    window.select_service("paymentservice")
    window.inspector.extras.policy_for_service()
    assert window.inspector.title.text() == "Mesh policy for paymentservice"
    editor = window.inspector.editors["mesh.policies[0].retries.attempts"]
    editor.widget.setText("4")
    editor.widget.editingFinished.emit()
    assert window.document.scenario.mesh.policies[0].retries.attempts == 4
    assert window.document.scenario.mesh.policies[0].retries.retry_on == [
        "connect-failure",
        "refused-stream",
        "unavailable",
    ]
    window.inspector.select(window.inspector.selection.__class__("scenario"))
    warmup = window.inspector.editors["simulation.warmup"]
    warmup.widget.setText("10s")
    warmup.widget.editingFinished.emit()
    assert "shorter than duration" in warmup.error.text()


def test_click_a_service_highlights_it_everywhere(boutique):
    window = boutique
    window.graph.nodes["cartservice"].setSelected(True)
    assert window.inspector.title.text() == "Service cartservice"
    assert window.graph.nodes["cartservice"].highlighted
    selected = [i.text() for lst in window.timeline.lists for i in lst.selectedItems()]
    assert selected == ["cartservice"]
    window.graph.scene().clearSelection()
    window.timeline.service_clicked.emit("paymentservice")
    assert window.graph.nodes["paymentservice"].highlighted
    assert not window.graph.nodes["cartservice"].highlighted


def test_add_and_delete_a_service(boutique, monkeypatch):
    from ui import dialogs

    window = boutique
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "audit")
    window.action("add_service").trigger()
    assert "audit" in window.graph.nodes
    assert window.inspector.title.text() == "Service audit"
    window.inspector.extras.call_target.setCurrentText("redis-cart")
    window.inspector.extras.add_call()
    assert [c.to for c in window.document.scenario.service("audit").iter_calls()] == ["redis-cart"]
    assert ("audit", "redis-cart") in window.graph.edges
    window.inspector.extras.delete_service()
    assert "audit" not in window.graph.nodes


def test_inspect_and_edit_a_phase_and_an_entrypoint(boutique):
    window = boutique
    window.timeline.phase_clicked.emit(4)
    inspector = window.inspector
    assert inspector.title.text() == "Phase 4: edge"
    gateway = inspector.editors["rollout.phases[3].gateway"]
    assert gateway.widget.currentText() == "true"
    gateway.widget.setCurrentIndex(2)
    gateway.widget.activated.emit(2)
    assert window.document.scenario.rollout.phases[3].gateway is False
    services = inspector.editors["rollout.phases[3].services"]
    assert services.widget.text() == "frontend"
    services.widget.setText("frontend, adservice")
    services.widget.editingFinished.emit()
    assert "already meshed in phase 'pilot'" in services.error.text()
    window.graph.entries["web"].setSelected(True)
    assert inspector.title.text() == "Entrypoint web"
    rate = inspector.editors["entrypoints[0].rate"]
    rate.widget.setText("300/s")
    rate.widget.editingFinished.emit()
    assert window.document.scenario.entrypoints[0].rate == 300.0
    assert window.graph.entries["web"].style.subtitle == "300 req/s"


def focus(widget, on: bool) -> None:
    """Give or take the keyboard focus as a click elsewhere would (no window manager)."""
    kind = QEvent.Type.FocusIn if on else QEvent.Type.FocusOut
    QApplication.sendEvent(widget, QFocusEvent(kind, Qt.FocusReason.MouseFocusReason))


def test_distributions_are_summarised_and_edited_as_wire_text(boutique):
    window = boutique
    window.action("settings").trigger()
    editor = window.inspector.editors["simulation.networkLatency"]
    assert editor.widget.text() == "lognormal p50 0.05ms, p99 0.2ms"
    assert "{dist: lognormal, median: 0.05ms, p99: 0.2ms}" in editor.widget.toolTip()
    focus(editor.widget, True)
    assert editor.widget.text() == "{dist: lognormal, median: 0.05ms, p99: 0.2ms}"
    focus(editor.widget, False)  # unchanged: the summary is back, nothing was edited
    assert editor.widget.text() == "lognormal p50 0.05ms, p99 0.2ms"
    assert not window.isWindowModified()
    focus(editor.widget, True)
    editor.widget.setText("{dist: lognormal, median: 1ms, p99: 0.5ms}")
    editor.widget.editingFinished.emit()
    assert "must be greater than median" in editor.error.text()
    focus(editor.widget, False)  # a rejected value stays on screen to be fixed
    assert editor.widget.text() == "{dist: lognormal, median: 1ms, p99: 0.5ms}"
    editor.widget.setText("{dist: exponential, mean: 2ms}")
    editor.widget.editingFinished.emit()
    assert window.document.scenario.simulation.network_latency.mean == 0.002
    editor = window.inspector.editors["simulation.networkLatency"]
    assert editor.widget.text() == "exponential, mean 2ms"
    editor.widget.setText("3ms")  # a plain duration is a constant, shown as is
    editor.widget.editingFinished.emit()
    assert window.inspector.editors["simulation.networkLatency"].widget.text() == "3ms"


def test_return_in_a_field_commits_and_keeps_the_place(boutique, qtbot):
    window = boutique
    window.action("settings").trigger()
    inspector = window.inspector
    inspector.scroll.verticalScrollBar().setValue(120)
    for seconds in (3, 4, 5):  # the form is rebuilt under the line edit each time
        editor = inspector.editors["simulation.duration"]
        editor.widget.setFocus()
        editor.widget.selectAll()
        qtbot.keyClicks(editor.widget, f"{seconds}s")
        qtbot.keyClick(editor.widget, Qt.Key.Key_Return)
        assert window.document.scenario.simulation.duration == seconds
        assert inspector.editors["simulation.duration"].widget.hasFocus()
    qtbot.waitUntil(lambda: inspector.scroll.verticalScrollBar().value() == 120)
    window.select_service("frontend")
    calls = inspector.extras.calls_list
    qtbot.keyClick(calls.viewport(), Qt.Key.Key_Down)
    rect = calls.visualItemRect(calls.item(0))
    qtbot.mouseClick(calls.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert inspector.title.text() == "Call of frontend"
