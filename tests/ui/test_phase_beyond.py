"""The canary and authorization editors of a phase, its summary line, cost settings (#15)."""

from __future__ import annotations

import shutil

import pytest

from tests.ui.test_safety import wheel
from tests.ui.ui_testing import REPO
from ui import edits
from ui.backend import to_wire
from ui.phase_beyond import meshed_replicas, parse_callers
from ui.phase_list import ElidedLabel, phase_summary

SAMPLE = REPO / "samples" / "two-cluster-shop.yaml"
LOCK_DOWN = [
    {"service": "frontend", "allow": ["@gateway"]},
    {"service": "catalog", "allow": ["frontend"]},
    {"service": "cart", "allow": ["frontend", "checkout"]},
    {"service": "redis", "allow": ["cart"]},
    {"service": "checkout", "allow": ["frontend"]},
    {"service": "payment", "allow": ["checkout"]},
]


@pytest.fixture
def shop(window, tmp_path):
    """The window with a copy of samples/two-cluster-shop.yaml open."""
    copy = tmp_path / SAMPLE.name
    shutil.copy(SAMPLE, copy)
    assert window.files.open_path(copy)
    return window


def phase(window, index):
    return window.document.scenario.rollout.phases[index]


def authz(window, index=3):
    return [r.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
            for r in phase(window, index).authz]  # fmt: skip


def undo_all(window):
    while window.document.undo_stack.canUndo():
        window.action("undo").trigger()


def test_meshed_replicas_round_up_to_at_least_one():
    assert [meshed_replicas(s, 4) for s in (0.01, 0.25, 0.26, 0.5, 1.0)] == [1, 1, 2, 2, 4]
    assert meshed_replicas(0.3, 10) == 3  # 0.3 × 10 is 3.0000000000000004 in floats
    assert parse_callers(" frontend, @gateway,,frontend ,cart") == ["frontend", "@gateway", "cart"]


def test_canary_share_add_and_remove_are_one_undo_step_each(shop):
    window = shop
    before = window.document.scenario
    window.inspector.select_phase(1)
    editor = window.inspector.extras.canary
    service, share = editor.rows[0]
    assert (service.currentText(), share.value(), share.suffix()) == ("cart", 25, " %")
    share.setValue(50)
    share.editingFinished.emit()
    assert phase(window, 0).canary == {"cart": 0.5}
    assert window.document.undo_stack.count() == 1
    assert "phase canary-cart canary → cart 50%" in window.action("undo").text()
    window.inspector.extras.canary.add_button.click()
    assert phase(window, 0).canary == {"cart": 0.5, "frontend": 0.25}
    service = window.inspector.extras.canary.rows[1][0]
    service.setCurrentText("payment")
    service.lineEdit().editingFinished.emit()
    assert phase(window, 0).canary == {"cart": 0.5, "payment": 0.25}
    service = window.inspector.extras.canary.rows[1][0]
    service.setCurrentText("cart")  # a second row for cart would merge the two: refused
    service.lineEdit().editingFinished.emit()
    assert "cart has a canary row already" in window.inspector.extras.canary.error.text()
    window.inspector.extras.canary._on_remove_clicked(0)
    assert phase(window, 0).canary == {"payment": 0.25}
    assert window.document.undo_stack.count() == 4
    window.action("undo").trigger()
    assert phase(window, 0).canary == {"cart": 0.5, "payment": 0.25}
    undo_all(window)
    assert window.document.scenario == before
    assert not window.document.is_dirty


@pytest.mark.parametrize(
    ("shares", "where", "words"),
    [
        ({"cart": 0.0}, "canary.cart", "greater than 0"),
        ({"cart": 1.5}, "canary.cart", "must be at most 1 (got 1.5)"),
        ({"nowhere": 0.5}, "canary.nowhere", "unknown service 'nowhere'"),
    ],
)
def test_a_refused_canary_shows_inline_and_changes_nothing(shop, shares, where, words):
    window = shop
    window.inspector.select_phase(1)
    before = window.document.scenario
    window.inspector.extras.canary.changed.emit(shares)
    error = window.inspector.extras.canary.error
    assert error.isVisibleTo(window.inspector)
    assert where in error.text() and words in error.text()
    assert window.document.scenario == before
    assert window.document.undo_stack.count() == 0
    assert not window.inspector.general_error.isVisibleTo(window.inspector)


def test_the_share_and_service_fields_refuse_inline(shop):
    window = shop
    window.inspector.select_phase(1)
    before = window.document.scenario
    share = window.inspector.extras.canary.rows[0][1]
    share.setValue(0)  # the spin box lets 0 through, so validation can say why not
    share.editingFinished.emit()
    assert "canary.cart" in window.inspector.extras.canary.error.text()
    service = window.inspector.extras.canary.rows[0][0]
    service.setCurrentText("nowhere")
    service.lineEdit().editingFinished.emit()
    assert "unknown service 'nowhere'" in window.inspector.extras.canary.error.text()
    # a service meshed whole in an earlier phase cannot start as a canary later
    window.inspector.select_phase(4)
    window.inspector.extras.canary.changed.emit({"cart": 0.5})
    assert "already meshed in phase 'east-rest'" in window.inspector.extras.canary.error.text()
    assert not window.inspector.extras.canary.add_button.isEnabled()
    assert window.document.scenario == before


def test_authz_rules_and_mesh_default_are_one_undo_step_each(shop):
    window = shop
    before = window.document.scenario
    window.inspector.select_phase(4)
    editor = window.inspector.extras.authz
    assert [(s.currentText(), c.line.text()) for s, c in editor.rows] == [
        (r["service"], ", ".join(r["allow"])) for r in LOCK_DOWN
    ]
    callers = editor.rows[2][1]
    callers.line.setText("checkout")
    callers.line.editingFinished.emit()
    assert authz(window)[2] == {"service": "cart", "allow": ["checkout"]}
    assert authz(window)[:2] == LOCK_DOWN[:2] and authz(window)[3:] == LOCK_DOWN[3:]
    # the picker: untick @gateway for frontend (an empty list denies every caller)
    menu = window.inspector.extras.authz.rows[0][1].menu
    gateway = next(a for a in menu.actions() if a.text() == "@gateway")
    assert gateway.isChecked()
    gateway.setChecked(False)
    assert authz(window)[0] == {"service": "frontend", "allow": []}
    assert window.inspector.extras.authz.rows[0][1].line.placeholderText().startswith("nobody")
    mesh = window.inspector.extras.authz.mesh_default
    mesh.setCurrentText("deny")
    mesh.activated.emit(mesh.currentIndex())
    assert authz(window)[-1] == {"scope": "mesh", "default": "deny"}
    assert not window.inspector.extras.authz.add_button.isEnabled()  # every service has one
    window.inspector.extras.authz.rows[5][0].setCurrentText("payment")  # unchanged: no edit
    window.inspector.extras.authz.rows[5][0].lineEdit().editingFinished.emit()
    window.inspector.extras.authz._emit_with(1, None)
    assert [r.get("service") for r in authz(window)] == [
        "frontend", "cart", "redis", "checkout", "payment", None]  # fmt: skip
    assert window.document.undo_stack.count() == 4
    mesh = window.inspector.extras.authz.mesh_default
    mesh.setCurrentText("no change")
    mesh.activated.emit(mesh.currentIndex())
    assert all(r.scope == "service" for r in phase(window, 3).authz)
    undo_all(window)
    assert window.document.scenario == before


def test_a_new_authz_rule_allows_the_observed_callers(shop):
    window = shop
    before = window.document.scenario
    window.inspector.select_phase(1)
    window.inspector.extras.authz.add_button.click()
    assert authz(window, 0) == [{"service": "frontend", "allow": ["@gateway"]}]
    window.inspector.extras.authz.add_button.click()
    assert authz(window, 0)[1] == {"service": "catalog", "allow": ["frontend"]}
    window.action("undo").trigger()
    window.action("undo").trigger()
    assert window.document.scenario == before


@pytest.mark.parametrize(
    ("row", "change", "words"),
    [
        (0, lambda r: {**r, "allow": ["@gateway", "nobody"]}, "authz[0].allow[1]: unknown caller"),
        (1, lambda r: {**r, "service": "nowhere"}, "authz[1].service: unknown service 'nowhere'"),
    ],
)
def test_a_refused_authz_rule_shows_inline_and_changes_nothing(shop, row, change, words):
    window = shop
    window.inspector.select_phase(4)
    before = window.document.scenario
    rules = [dict(r) for r in LOCK_DOWN]
    rules[row] = change(rules[row])
    window.inspector.extras.authz.changed.emit(rules)
    error = window.inspector.extras.authz.error
    assert error.isVisibleTo(window.inspector) and words in error.text()
    assert window.document.scenario == before
    assert window.document.undo_stack.count() == 0


def test_a_typed_unknown_caller_is_refused_inline(shop):
    window = shop
    window.inspector.select_phase(4)
    before = window.document.scenario
    callers = window.inspector.extras.authz.rows[3][1]
    callers.line.setText("cart, carts")
    callers.line.editingFinished.emit()
    assert "authz[3].allow[1]: unknown caller 'carts'" in window.inspector.extras.authz.error.text()
    assert window.document.scenario == before


def test_the_column_summary_names_canary_authz_and_clusters(shop):
    window = shop
    scenario = window.document.scenario
    assert [phase_summary(scenario, i) for i in (1, 2, 3, 4)] == [
        "canary cart 25%",
        "cluster west",
        "mTLS: no change",
        "STRICT mesh-wide · authz 6 rules",
    ]
    window.inspector.select_phase(4)
    mesh = window.inspector.extras.authz.mesh_default
    mesh.setCurrentText("deny")
    mesh.activated.emit(mesh.currentIndex())
    labels = [label.full_text for label in window.timeline.findChildren(ElidedLabel)]
    assert "STRICT mesh-wide · authz 6 rules, mesh-wide deny" in labels
    assert "canary cart 25%" in labels


def test_cost_prices_are_edited_in_the_scenario_settings(shop):
    window = shop
    before = window.document.scenario
    window.inspector.select_scenario()
    editors = window.inspector.editors
    assert editors["cost.vcpuHour"].text() == "0.04" and editors["cost.gibHour"].text() == "0.005"
    editors["cost.vcpuHour"].widget.setText("0.05")
    editors["cost.vcpuHour"].widget.editingFinished.emit()
    assert window.document.scenario.cost.vcpu_hour == 0.05
    current = window.document.scenario
    editor = window.inspector.editors["cost.gibHour"]
    editor.widget.setText("-1")
    editor.widget.editingFinished.emit()
    assert editor.error.isVisibleTo(window.inspector) and "at least 0" in editor.error.text()
    assert window.document.scenario == current
    window.action("undo").trigger()
    assert window.document.scenario == before


def test_a_scenario_without_cost_has_no_cost_fields(boutique):
    boutique.inspector.select_scenario()
    assert not [p for p in boutique.inspector.editors if p.startswith("cost.")]


def test_renaming_or_removing_a_service_reaches_canary_and_authz(shop):
    scenario = shop.document.scenario
    data = to_wire(scenario)
    edits.rename_service(data, "cart", "basket")
    phases = data["rollout"]["phases"]
    assert phases[0]["canary"] == {"basket": 0.25}
    assert phases[3]["authz"][2] == {"service": "basket", "allow": ["frontend", "checkout"]}
    assert phases[3]["authz"][3] == {"service": "redis", "allow": ["basket"]}
    data = to_wire(scenario)
    edits.remove_service(data, "cart")
    phases = data["rollout"]["phases"]
    assert "canary" not in phases[0]
    assert [r["service"] for r in phases[3]["authz"]] == [
        "frontend", "catalog", "redis", "checkout", "payment"]  # fmt: skip
    assert phases[3]["authz"][2] == {"service": "redis", "allow": []}
    shop.document.edit("rename", lambda d: edits.rename_service(d, "cart", "basket"))
    assert shop.document.scenario.rollout.phases[0].canary == {"basket": 0.25}


def test_wheel_over_unfocused_canary_and_authz_editors_changes_nothing(shop):
    from PySide6.QtWidgets import QComboBox, QSpinBox

    window = shop
    before = window.document.scenario
    window.inspector.select_phase(1)
    window.graph.setFocus()
    extras = window.inspector.extras
    spins = extras.canary.findChildren(QSpinBox)
    combos = extras.canary.findChildren(QComboBox) + extras.authz.findChildren(QComboBox)
    assert spins and len(combos) >= 2
    for widget in (*spins, *combos):
        shown = widget.text() if isinstance(widget, QSpinBox) else widget.currentText()
        wheel(widget, -1)
        wheel(widget, 2)
        assert (widget.text() if isinstance(widget, QSpinBox) else widget.currentText()) == shown
    assert window.document.scenario == before


@pytest.mark.parametrize("height", [50, 57, 64, 71, 90])
def test_a_phase_list_shows_whole_rows_and_keeps_its_white(qtbot, height):
    """A row cut in half at the bottom of a phase column reads as a glitch (1366x768)."""
    from PySide6.QtGui import QPalette
    from PySide6.QtWidgets import QListWidgetItem

    from ui.phase_list import PhaseList

    plist = PhaseList(1, lambda names, phase: None)
    qtbot.addWidget(plist)
    for name in ("cartservice", "redis-cart", "recommendationservice", "adservice", "a", "b"):
        QListWidgetItem(name, plist)
    plist.resize(200, height)
    plist.show()
    qtbot.waitExposed(plist)
    row = plist.sizeHintForRow(0)
    shown = plist.viewport().height()
    assert shown % row == 0 and shown >= row
    assert 0 <= plist.viewportMargins().bottom() < row
    assert plist.autoFillBackground() and plist.backgroundRole() == QPalette.ColorRole.Base
