"""The parts of a timeline column: its service list (a drop target), labels, mTLS menu."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QDropEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListWidget, QMenu, QToolButton

from meshsim import phase_state
from models import Scenario


class ElidedLabel(QLabel):
    """A one-line label that elides its text to its width (the tooltip has it all)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.full_text = text
        self.setToolTip(text)
        self.setMinimumWidth(20)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        elided = self.fontMetrics().elidedText(
            self.full_text, Qt.TextElideMode.ElideRight, self.width()
        )
        if elided != self.text():
            self.setText(elided)


class PhaseList(QListWidget):
    """The services of one column; dropping services here moves them to its phase."""

    def __init__(
        self,
        phase: int | None,
        on_drop: Callable[[list[str], int | None], None],
        editable: bool = True,
    ):
        super().__init__()
        self.phase = phase
        self._on_drop = on_drop
        mode = QAbstractItemView.DragDropMode
        self.setDragDropMode(mode.DragDrop if editable else mode.NoDragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        # the space left under the last whole row is the list's own white
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._show_whole_rows()

    def _show_whole_rows(self) -> None:
        """Leave the space of a part row blank: a row cut in half reads as a glitch."""
        row = self.sizeHintForRow(0) if self.count() else 0
        if row <= 0:
            return
        margins = self.viewportMargins()
        height = self.viewport().height() + margins.bottom()
        spare = height % row if height >= row else 0
        if spare != margins.bottom():
            self.setViewportMargins(0, 0, 0, spare)

    def mimeData(self, items):  # noqa: N802 - Qt override
        mime = super().mimeData(items)
        mime.setText("\n".join(item.text() for item in items))
        return mime

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasText():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        names = [n for n in event.mimeData().text().splitlines() if n]
        # The item view that started the drag is still inside QDrag.exec(): rebuild
        # the columns only once it has returned.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        QTimer.singleShot(0, lambda: self._on_drop(names, self.phase))


def phase_summary(scenario: Scenario, index: int) -> str:
    """One line saying what 1-based phase ``index`` changes besides its services.

    mTLS rules, canary shares, authorization rules and onboarded clusters, joined by
    " · " ("STRICT mesh-wide · authz 6 rules"); "mTLS: no change" when none.
    """
    phase = scenario.rollout.phases[index - 1]
    parts = []
    for mode in dict.fromkeys(r.mode for r in phase.mtls):
        names = [r.name or "mesh-wide" for r in phase.mtls if r.mode == mode]
        parts.append(f"{mode} {', '.join(names)}")
    if phase.canary:
        parts.append("canary " + ", ".join(f"{n} {v:.0%}" for n, v in phase.canary.items()))
    if phase.authz:
        count = sum(1 for r in phase.authz if r.scope == "service")
        words = [f"{count} rule{'' if count == 1 else 's'}"] if count else []
        words += [f"mesh-wide {r.default}" for r in phase.authz if r.scope == "mesh"]
        parts.append("authz " + ", ".join(words))
    if phase.clusters:
        parts.append(f"cluster{'s' if len(phase.clusters) > 1 else ''} {', '.join(phase.clusters)}")
    return " · ".join(parts) or "mTLS: no change"


def mtls_button(
    scenario: Scenario, index: int, set_rules: Callable[[list[dict]], None]
) -> QToolButton:
    """The "mTLS▾" menu of phase ``index``: checking a rule calls ``set_rules`` (all rules)."""
    button = QToolButton()
    button.setText("mTLS▾")
    button.setAutoRaise(True)
    button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
    button.setToolTip("mTLS changes (PeerAuthentication) made in this phase")
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(button)
    phase = scenario.rollout.phases[index - 1]
    rules = [r.model_dump(mode="json", exclude_none=True) for r in phase.mtls]
    for mode in ("STRICT", "PERMISSIVE"):
        _rule_action(menu, f"Mesh-wide {mode}", rules, {"scope": "mesh", "mode": mode}, set_rules)
    strict = menu.addMenu("STRICT for service")

    def fill_strict() -> None:
        # filled when first opened: a phase of a 1,000-service graph meshes hundreds
        if strict.isEmpty():
            for name in sorted(phase_state(scenario, index).meshed):
                rule = {"scope": "service", "name": name, "mode": "STRICT"}
                _rule_action(strict, name, rules, rule, set_rules)

    strict.aboutToShow.connect(fill_strict)
    clear = menu.addAction("Clear this phase's mTLS changes")
    clear.setEnabled(bool(rules))
    clear.triggered.connect(lambda: set_rules([]))
    button.setMenu(menu)
    return button


def _rule_action(menu: QMenu, text: str, rules: list, rule: dict, set_rules) -> None:
    action = QAction(text, menu)
    action.setCheckable(True)
    action.setChecked(rule in rules)
    target = (rule["scope"], rule.get("name"))
    others = [r for r in rules if (r["scope"], r.get("name")) != target]
    action.toggled.connect(lambda on: set_rules(others + ([rule] if on else [])))
    menu.addAction(action)
