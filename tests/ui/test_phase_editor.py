"""The structured editors of a phase (mTLS rules, policies, namespaces, waypoints) and of faults."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox

from tests.ui.test_safety import wheel
from tests.ui.ui_testing import REPO, short_copy
from ui.fault_strip import fault_text
from ui.phase_editor import MESH_WIDE, parse_target, rule_target


def rules(window, index=2):
    return [r.model_dump(mode="json", exclude_none=True) for r in
            window.document.scenario.rollout.phases[index].mtls]  # fmt: skip


def test_targets_read_back_as_the_rules_they_show():
    for rule in (
        {"scope": "mesh"},
        {"scope": "namespace", "name": "shop"},
        {"scope": "service", "name": "api"},
    ):
        assert parse_target(rule_target({**rule, "mode": "STRICT"})) == rule
    assert rule_target({"scope": "mesh", "mode": "STRICT"}) == MESH_WIDE


def test_mtls_rule_edits_are_one_undo_step_each(boutique):
    window = boutique
    window.inspector.select_phase(3)
    before = window.document.scenario
    editor = window.inspector.extras.mtls
    assert [c.currentText() for c in editor.rows[0]] == ["paymentservice", "STRICT"]
    mode = editor.rows[1][1]
    mode.setCurrentText("PERMISSIVE")
    mode.activated.emit(mode.currentIndex())
    assert rules(window)[1] == {"scope": "service", "name": "emailservice", "mode": "PERMISSIVE"}
    assert window.document.undo_stack.count() == 1
    assert "emailservice" in window.action("undo").text()
    window.inspector.extras.mtls.add_button.click()
    assert len(rules(window)) == 3
    target = window.inspector.extras.mtls.rows[2][0]
    target.setCurrentText(MESH_WIDE)
    target.activated.emit(0)
    assert rules(window)[2] == {"scope": "mesh", "mode": "STRICT"}
    window.inspector.extras.mtls._on_remove_clicked(0)
    assert [r.get("name") for r in rules(window)] == ["emailservice", None]
    assert window.document.undo_stack.count() == 4
    for _ in range(4):
        window.action("undo").trigger()
    assert window.document.scenario == before
    assert not window.document.is_dirty


def test_an_unknown_name_shows_inline_and_changes_nothing(boutique):
    window = boutique
    window.inspector.select_phase(3)
    before = window.document.scenario
    target = window.inspector.extras.mtls.rows[0][0]
    target.setCurrentText("namespace nowhere")
    target.lineEdit().editingFinished.emit()
    error = window.inspector.extras.mtls.error
    assert error.isVisibleTo(window.inspector)
    assert "mtls[0].name" in error.text() and "'nowhere'" in error.text()
    assert window.document.scenario == before
    assert window.document.undo_stack.count() == 0
    assert not window.inspector.general_error.isVisibleTo(window.inspector)


def test_namespaces_and_waypoints_lists(window):
    from ui.document import validate

    scenario = validate({
        "services": [{"name": "a", "namespace": "shop"}, {"name": "b", "namespace": "shop"},
                     {"name": "c", "calls": [{"to": "a"}]}],
        "entrypoints": [{"name": "web", "service": "c", "rate": 10}],
        "rollout": {"phases": [{"name": "one", "services": ["c"]}, {"name": "two"}]},
    })  # fmt: skip
    window.session.replace(scenario, None)
    window.inspector.select_phase(2)
    editor = window.inspector.extras
    assert [editor.namespaces.picker.itemText(i) for i in range(2)] == ["default", "shop"]
    editor.namespaces.picker.setCurrentText("shop")
    editor.namespaces.add_button.click()
    assert window.document.scenario.rollout.phases[1].namespaces == ["shop"]
    assert window.timeline.lists[2].count() == 2  # the whole namespace joins
    # "default" is c's namespace, which phase one meshes already: refused inline
    window.inspector.extras.namespaces.picker.setCurrentText("default")
    window.inspector.extras.namespaces.add_button.click()
    error = window.inspector.extras.namespaces.error
    assert error.isVisibleTo(window.inspector) and "'c'" in error.text()
    assert window.document.scenario.rollout.phases[1].namespaces == ["shop"]
    window.inspector.extras.namespaces.list.item(0).setSelected(True)
    window.inspector.extras.namespaces.remove_button.click()
    assert window.document.scenario.rollout.phases[1].namespaces == []
    # Waypoints need istio-ambient: the editor says so, and validation refuses them.
    waypoints = window.inspector.extras.waypoints
    assert not waypoints.isEnabled() and "istio-ambient" in waypoints.title()
    waypoints._on_add_button_clicked()  # nothing picked yet
    assert "pick or type" in waypoints.error.text()
    waypoints.changed.emit(["a"])  # as if the (disabled) editor were used
    assert "istio-ambient" in window.inspector.extras.waypoints.error.text()
    assert window.document.scenario.rollout.phases[1].waypoints == []
    window.document.edit(
        "ambient", lambda d: d.setdefault("mesh", {}).update(profile="istio-ambient")
    )
    waypoints = window.inspector.extras.waypoints
    assert waypoints.isEnabled()
    waypoints.picker.setCurrentText("a")
    waypoints.add_button.click()
    assert window.document.scenario.rollout.phases[1].waypoints == ["a"]
    assert window.document.undo_stack.count() == 4
    for _ in range(4):
        window.action("undo").trigger()
    assert window.document.scenario == scenario


def test_a_phase_policy_is_created_only_when_a_value_changes(boutique):
    window = boutique
    window.inspector.select_phase(2)
    extras = window.inspector.extras
    extras.policy_host.setCurrentText("cartservice")
    extras._on_add_policy_clicked()
    assert window.inspector.title.text() == "Phase leaf-backends: policy for cartservice"
    assert not window.document.is_dirty
    editor = window.inspector.editors["rollout.phases[1].policies[0].timeout"]
    assert (
        "from mesh.defaults" in editor.widget.placeholderText() or editor.widget.placeholderText()
    )
    editor.widget.setText("2s")
    editor.widget.editingFinished.emit()
    policies = window.document.scenario.rollout.phases[1].policies
    assert [(p.host, p.timeout) for p in policies] == [("cartservice", 2.0)]
    assert window.inspector.selection.kind == "phase_policy"
    assert window.document.undo_stack.count() == 1
    window.inspector.extras.remove()
    assert window.document.scenario.rollout.phases[1].policies == []
    assert window.inspector.selection.kind == "phase"
    window.action("undo").trigger()
    window.action("undo").trigger()
    assert not window.document.is_dirty


def test_wheel_over_unfocused_phase_editors_changes_nothing(boutique):
    window = boutique
    window.inspector.select_phase(3)
    before = window.document.scenario
    window.graph.setFocus()
    combos = window.inspector.extras.findChildren(QComboBox)
    assert len(combos) >= 4
    for combo in combos:
        text = combo.currentText()
        wheel(combo, -1)
        wheel(combo, 2)
        assert combo.currentText() == text
    assert window.document.scenario == before


def bookinfo(window, tmp_path, **simulation):
    copy = short_copy(REPO / "samples" / "bookinfo.yaml", tmp_path, **simulation)
    assert window.files.open_path(copy)
    return window


def test_faults_add_change_type_and_remove(window, tmp_path):
    bookinfo(window, tmp_path)
    before = window.document.scenario
    count = len(before.faults)
    window.inspector.select_scenario()
    faults = window.inspector.more_extras[0]
    faults.fault_service.setCurrentText("details")
    faults.add_fault()
    added = window.document.scenario.faults[-1]
    assert (added.service, added.type, len(window.document.scenario.faults)) == (
        "details", "outage", count + 1)  # fmt: skip
    assert window.inspector.title.text() == f"Fault {count + 1}: details outage"
    editors = window.inspector.editors
    prefix = f"faults[{count}]"
    assert f"{prefix}.errorRate" not in editors and f"{prefix}.delay" not in editors
    kind = editors[f"{prefix}.type"].widget
    kind.setCurrentText("error")
    kind.activated.emit(kind.currentIndex())
    fault = window.document.scenario.faults[-1]
    assert (fault.type, fault.error_rate) == ("error", 0.1)
    editors = window.inspector.editors
    assert f"{prefix}.errorRate" in editors and f"{prefix}.delay" not in editors
    # invalid: an error rate above 1, shown inline, nothing changes
    current = window.document.scenario
    editors[f"{prefix}.errorRate"].widget.setText("1.5")
    editors[f"{prefix}.errorRate"].widget.editingFinished.emit()
    assert editors[f"{prefix}.errorRate"].error.isVisibleTo(window.inspector)
    assert window.document.scenario == current
    kind = window.inspector.editors[f"{prefix}.type"].widget
    kind.setCurrentText("latency")
    kind.activated.emit(kind.currentIndex())
    fault = window.document.scenario.faults[-1]
    assert (fault.type, fault.error_rate, fault.delay.mean) == ("latency", None, 0.1)
    window.inspector.extras.remove()
    assert len(window.document.scenario.faults) == count
    for _ in range(4):
        window.action("undo").trigger()
    assert window.document.scenario == before


def test_the_timeline_draws_fault_windows_and_a_click_edits_one(window, tmp_path):
    bookinfo(window, tmp_path, duration="60s", warmup="5s")
    strip = window.timeline.fault_strip
    scenario = window.document.scenario
    assert strip.isVisibleTo(window) and scenario.faults
    end = scenario.simulation.duration
    for index, fault in enumerate(scenario.faults):
        rect = strip.window_rect(index)
        span = strip.width() - 58 - 4
        assert abs(rect.x() - (58 + span * min(fault.start, end) / end)) < 1e-6
        centre = rect.center()
        assert strip.tooltip_at(centre.x(), centre.y()).startswith(fault_text(fault, end))
    centre = strip.window_rect(1).center()
    strip.fault_clicked.emit(strip.fault_at(centre.x(), centre.y()))
    assert window.inspector.selection.kind == "fault"
    assert window.inspector.selection.key == (1,)


def test_fault_text_says_the_window():
    from models import Fault

    fault = Fault.model_validate({"service": "db", "type": "error", "errorRate": 0.2,
                                  "start": "10s", "duration": "5s"})  # fmt: skip
    assert fault_text(fault, 60) == "db error 20%, 10s to 15s"
    endless = Fault.model_validate({"service": "db", "type": "outage", "start": "50s"})
    assert fault_text(endless, 60) == "db outage, 50s to the end"
    assert fault_text(endless, 20).endswith("after the run's 20s, so it never applies")


def test_wheel_over_unfocused_fault_editors_changes_nothing(window, tmp_path):
    bookinfo(window, tmp_path)
    before = window.document.scenario
    for select in (lambda: window.inspector.select_fault(0), window.inspector.select_scenario):
        select()
        window.graph.setFocus()
        combos = window.inspector.findChildren(QComboBox)
        if window.inspector.selection.kind == "fault":  # the form's service and type
            editors = window.inspector.editors
            assert {editors[f"faults[0].{k}"].widget for k in ("service", "type")} <= set(combos)
        else:  # the service of a new fault
            assert window.inspector.more_extras[0].fault_service in combos
        for combo in combos:
            text = combo.currentText()
            wheel(combo, -1)
            wheel(combo, 2)
            assert combo.currentText() == text
    assert window.document.scenario == before
