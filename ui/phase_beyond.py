"""The canary shares and AuthorizationPolicy changes of a phase, as editors (SPEC §20).

Both work like the mTLS rules editor of ``ui.phase_editor``: one row per entry, every
change emits the phase's whole list (``changed``), which the phase editor turns into
one undoable edit; a refused edit shows its problem in the editor's ``error`` label.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from meshsim import observed_callers, phase_state
from models import Scenario
from models.beyond import GATEWAY_IDENTITY
from ui.phase_widgets import (
    HINT,
    error_label,
    name_combo,
    replaced,
    set_error,
    small_combo,
    tool_button,
)

DEFAULT_SHARE = 0.25
"""The share a new canary row starts with."""
MESH_DEFAULTS = ("no change", "deny", "allow")
"""The choices of the mesh-wide default: no rule, ``default: deny``, ``default: allow``."""


def share_percent(share: float) -> int:
    """A share as the whole percent the spin box shows (0.25 → 25)."""
    return round(share * 100)


def meshed_replicas(share: float, replicas: int) -> int:
    """How many of ``replicas`` a canary of ``share`` meshes: rounded up, at least one."""
    return max(1, math.ceil(share * replicas - 1e-9))


def _grid(headers: tuple[str, ...]) -> QGridLayout:
    grid = QGridLayout()
    grid.setHorizontalSpacing(3)
    grid.setVerticalSpacing(2)
    for column, text in enumerate(headers):
        header = QLabel(text)
        header.setStyleSheet(HINT)
        grid.addWidget(header, 0, column)
    grid.setColumnStretch(0, 1)
    return grid


def _remove_button(tip: str) -> QToolButton:
    button = tool_button("✕", tip)
    button.setAutoRaise(True)
    return button


class CanaryEditor(QGroupBox):
    """Canary shares of a phase: one row per service (service, share in %, replicas, ✕)."""

    changed = Signal(dict)

    def __init__(
        self, shares: dict[str, float], candidates: list[str], replicas: dict[str, int]
    ) -> None:
        super().__init__("Canary")
        self.setToolTip(
            "Mesh only this share of a service's replicas (rounded up, at least one); "
            "a later phase that lists the service meshes all of it (SPEC §20)"
        )
        self.shares = dict(shares)
        self._candidates = candidates
        self._replicas = replicas
        self.rows: list[tuple[QComboBox, QSpinBox]] = []
        grid = _grid(("service", "share", "sidecars"))
        for row, (name, share) in enumerate(self.shares.items(), start=1):
            self._add_row(grid, row, name, share)
        self.empty = QLabel("No canary in this phase.")
        self.empty.setStyleSheet(HINT)
        self.add_button = tool_button(
            "+ Add canary", f"Mesh {share_percent(DEFAULT_SHARE)}% of a service not meshed yet"
        )
        self.add_button.clicked.connect(self._on_add_button_clicked)
        if not [s for s in candidates if s not in self.shares]:
            self.add_button.setEnabled(False)
            self.add_button.setToolTip("Every service is meshed whole before this phase")
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.empty)
        if self.shares:
            layout.addLayout(grid)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error)
        self.empty.setHidden(bool(self.shares))

    def _add_row(self, grid: QGridLayout, row: int, name: str, share: float) -> None:
        index = row - 1
        service = name_combo(self._candidates, name)
        service.setToolTip(f"{name}: the service started as a canary (type or pick)")
        spin = QSpinBox()
        spin.setRange(0, 100)  # 0 is refused by validation, with the reason said inline
        spin.setSuffix(" %")
        spin.setValue(share_percent(share))
        spin.setKeyboardTracking(False)
        spin.setToolTip(f"Share of {name}'s replicas with a sidecar: {share:g} (0 < share ≤ 1)")
        count = self._replicas.get(name)
        meshed = QLabel(f"{meshed_replicas(share, count)} of {count}" if count else "")
        meshed.setStyleSheet(HINT)
        meshed.setToolTip("Replicas with a sidecar / all replicas of the service")
        remove = _remove_button("Remove this canary")
        service.activated.connect(lambda _i, k=index: self._on_service_changed(k))
        service.lineEdit().editingFinished.connect(lambda k=index: self._on_service_changed(k))
        spin.editingFinished.connect(lambda k=index: self._on_share_changed(k))
        remove.clicked.connect(lambda _c=False, k=index: self._on_remove_clicked(k))
        for column, widget in enumerate((service, spin, meshed, remove)):
            grid.addWidget(widget, row, column)
        self.rows.append((service, spin))

    def _emit_with(self, index: int, entry: tuple[str, float] | None) -> None:
        self.changed.emit(dict(replaced(list(self.shares.items()), index, entry)))

    def _on_service_changed(self, index: int) -> None:
        name, share = list(self.shares.items())[index]
        new = self.rows[index][0].currentText().strip()
        if new != name and new in self.shares:
            set_error(self.error, f"canary.{new}: {new} has a canary row already")
        elif new != name:
            self._emit_with(index, (new, share))

    def _on_share_changed(self, index: int) -> None:
        name, share = list(self.shares.items())[index]
        percent = self.rows[index][1].value()
        if percent != share_percent(share):
            self._emit_with(index, (name, percent / 100))

    def _on_remove_clicked(self, index: int) -> None:
        self._emit_with(index, None)

    def _on_add_button_clicked(self) -> None:
        free = [s for s in self._candidates if s not in self.shares]
        if not free:
            set_error(self.error, "every service is meshed or a canary by this phase")
            return
        self.changed.emit({**self.shares, free[0]: DEFAULT_SHARE})


def parse_callers(text: str) -> list[str]:
    """Callers typed as a comma-separated list, in order, without repeats."""
    names = [part.strip() for part in text.replace("\n", ",").split(",")]
    return list(dict.fromkeys(n for n in names if n))


class CallersEdit(QWidget):
    """An allow list: comma-separated callers, and a ▾ menu to tick them."""

    committed = Signal(list)

    def __init__(self, callers: list[str], candidates: list[str]) -> None:
        super().__init__()
        self.callers = list(callers)
        self.line = QLineEdit(", ".join(callers))
        self.line.setPlaceholderText("nobody (denies all)")
        self.line.setCursorPosition(0)
        self.line.setToolTip(
            f"Callers allowed: {', '.join(callers) or 'none, so every caller is denied'}\n"
            f"Service names or {GATEWAY_IDENTITY} (the ingress gateway), separated by commas"
        )
        self.line.editingFinished.connect(self._on_line_editing_finished)
        self.pick = QToolButton()
        self.pick.setText("▾")
        self.pick.setToolTip("Pick the callers allowed")
        self.pick.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.pick.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        self.menu = QMenu(self.pick)
        for name in [c for c in candidates if c not in callers] + callers:
            action = QAction(name, self.menu)
            action.setCheckable(True)
            action.setChecked(name in callers)
            action.toggled.connect(lambda on, n=name: self._on_action_toggled(n, on))
            self.menu.addAction(action)
        self.pick.setMenu(self.menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.pick)

    def _on_line_editing_finished(self) -> None:
        callers = parse_callers(self.line.text())
        if callers != self.callers:
            self.committed.emit(callers)

    def _on_action_toggled(self, name: str, on: bool) -> None:
        callers = [c for c in self.callers if c != name] + ([name] if on else [])
        self.committed.emit(callers)


class AuthzEditor(QGroupBox):
    """AuthorizationPolicy changes of a phase: rows (service, callers allowed, ✕).

    Under them the mesh-wide default: no change, deny or allow.
    """

    changed = Signal(list)

    def __init__(
        self, rules: list[dict], services: list[str], observed: dict[str, list[str]]
    ) -> None:
        super().__init__("Authorization")
        self.setToolTip(
            "AuthorizationPolicy changes made in this phase: once a service is meshed, a "
            "caller not on its allow list is refused with 403 (SPEC §20)"
        )
        self.rules = [dict(r) for r in rules]
        self._services = services
        self._observed = observed
        self._indices = [i for i, r in enumerate(self.rules) if r.get("scope") != "mesh"]
        """Position in ``rules`` of each row (the mesh-wide rule has none)."""
        self.rows: list[tuple[QComboBox, CallersEdit]] = []
        grid = _grid(("service", "callers allowed", ""))
        candidates = [*services, GATEWAY_IDENTITY]
        for row, index in enumerate(self._indices, start=1):
            self._add_row(grid, row, self.rules[index], candidates)
        self.empty = QLabel("No authorization change in this phase.")
        self.empty.setStyleSheet(HINT)
        self.add_button = tool_button(
            "+ Add rule", "Allow a service only its observed callers (edit the list after)"
        )
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.add_button.setEnabled(bool(self._free()))
        self.mesh_default = small_combo(MESH_DEFAULTS, 5)
        self.mesh_default.setToolTip(
            "deny: a meshed service without an allow list refuses every caller "
            "({scope: mesh, default: deny}); allow: lifts an earlier deny"
        )
        self.mesh_default.setCurrentText(self._mesh_rule().get("default", MESH_DEFAULTS[0]))
        self.mesh_default.activated.connect(self._on_mesh_default_activated)
        self.error = error_label()
        mesh_row = QHBoxLayout()
        mesh_label = QLabel("Mesh-wide:")
        mesh_label.setToolTip(self.mesh_default.toolTip())
        mesh_row.addWidget(mesh_label)
        mesh_row.addWidget(self.mesh_default, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.empty)
        if self._indices:
            layout.addLayout(grid)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(mesh_row)
        layout.addWidget(self.error)
        self.empty.setHidden(bool(self._indices))

    def _mesh_rule(self) -> dict:
        return next((r for r in self.rules if r.get("scope") == "mesh"), {})

    def _add_row(self, grid: QGridLayout, row: int, rule: dict, candidates: list[str]) -> None:
        index = self._indices[row - 1]
        service = name_combo(self._services, rule.get("service"))
        service.setToolTip(f"{rule.get('service')}: the service this allow list protects")
        callers = CallersEdit(rule.get("allow") or [], candidates)
        remove = _remove_button("Remove this rule")
        service.activated.connect(lambda _i, k=index: self._on_service_changed(k))
        service.lineEdit().editingFinished.connect(lambda k=index: self._on_service_changed(k))
        callers.committed.connect(lambda names, k=index: self._on_callers_committed(k, names))
        remove.clicked.connect(lambda _c=False, k=index: self._emit_with(k, None))
        for column, widget in enumerate((service, callers, remove)):
            grid.addWidget(widget, row, column)
        grid.setColumnStretch(1, 2)
        self.rows.append((service, callers))

    def _emit_with(self, index: int, rule: dict | None) -> None:
        self.changed.emit(replaced([dict(r) for r in self.rules], index, rule))

    def _on_service_changed(self, index: int) -> None:
        row = self._indices.index(index)
        name = self.rows[row][0].currentText().strip()
        if name != self.rules[index].get("service"):
            self._emit_with(index, {**self.rules[index], "service": name})

    def _on_callers_committed(self, index: int, callers: list[str]) -> None:
        self._emit_with(index, {**self.rules[index], "allow": callers})

    def _free(self) -> list[str]:
        taken = {r.get("service") for r in self.rules}
        return [s for s in self._services if s not in taken]

    def _on_add_button_clicked(self) -> None:
        free = self._free()
        if not free:
            set_error(self.error, "every service has a rule in this phase already")
            return
        rule = {"service": free[0], "allow": list(self._observed.get(free[0], []))}
        mesh = [r for r in self.rules if r.get("scope") == "mesh"]
        others = [r for r in self.rules if r.get("scope") != "mesh"]
        self.changed.emit([*others, rule, *mesh])

    def _on_mesh_default_activated(self, _index: int) -> None:
        choice = self.mesh_default.currentText()
        if choice == self._mesh_rule().get("default", MESH_DEFAULTS[0]):
            return
        rules = [dict(r) for r in self.rules if r.get("scope") != "mesh"]
        if choice != MESH_DEFAULTS[0]:
            rules.append({"scope": "mesh", "default": choice})
        self.changed.emit(rules)


def beyond_editors(scenario: Scenario, index: int) -> tuple[CanaryEditor, AuthzEditor]:
    """The canary and authorization editors of 0-based phase ``index``."""
    phase = scenario.rollout.phases[index]
    services = [s.name for s in scenario.services]
    before = phase_state(scenario, index)  # what the earlier phases mesh
    whole = set(before.meshed) - set(before.partial)
    candidates = [s for s in services if s not in whole or s in phase.canary]
    replicas = {s.name: s.replicas for s in scenario.services}
    canary = CanaryEditor(dict(phase.canary), candidates, replicas)
    allowed = {*services, GATEWAY_IDENTITY}
    observed = {
        name: [c for c in callers if c in allowed]
        for name, callers in observed_callers(scenario).items()
    }
    rules = [r.model_dump(mode="json", exclude_none=True) for r in phase.authz]
    return canary, AuthzEditor(rules, services, observed)
