"""PhaseTimeline: the rollout plan as columns of services, and the phase on display.

Drag a service from one column to another to change the phase in which it joins
the mesh; each column's header renames, moves, removes the phase and sets its
mTLS changes. The slider picks the phase the graph and the results show.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QScrollArea,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from meshsim import phase_names, phase_state
from models import Scenario
from ui import edits
from ui.backend import ScenarioError
from ui.document import ScenarioDocument
from ui.palette import phase_colour
from ui.phase_list import ElidedLabel, PhaseList

COLUMN_MIN_W, COLUMN_MAX_W = 204, 300
"""Columns share the dock's width within these bounds (then the row scrolls)."""


class PhaseTimeline(QWidget):
    """Phases as columns, with a slider choosing the phase on display."""

    phase_displayed = Signal(int)
    phase_clicked = Signal(int)
    service_clicked = Signal(str)
    edit_failed = Signal(str)

    def __init__(self, document: ScenarioDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PhaseTimeline")
        self._document = document
        self.columns: list[QFrame] = []
        self.lists: list[PhaseList] = []
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setPageStep(1)
        self.slider.setToolTip("The phase the graph and the results show (0 = baseline)")
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.slider.actionTriggered.connect(self._on_slider_action_triggered)
        self._phase_chosen = False
        self.slider_label = QLabel()
        self.slider_label.setMinimumWidth(200)
        self.add_button = QPushButton("+ Add phase")
        self.add_button.setToolTip("Append an empty phase to the rollout")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.add_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(QLabel("Phase on display:"))
        top.addWidget(self.slider, 1)
        top.addWidget(self.slider_label)
        top.addWidget(self.add_button)
        self._row = QHBoxLayout()
        self._row.setContentsMargins(0, 2, 0, 0)
        self._row.setSpacing(6)
        self._row.addStretch(1)
        holder = QWidget()
        holder.setLayout(self._row)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(holder)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.scroll, 1)
        document.scenario_changed.connect(self._on_document_scenario_changed)

    # --- public API -------------------------------------------------------------------

    @property
    def displayed_phase(self) -> int:
        return self.slider.value()

    @property
    def phase_chosen(self) -> bool:
        """True once the user has picked a phase with the slider (for this scenario)."""
        return self._phase_chosen

    def set_displayed_phase(self, index: int, *, chosen: bool = False) -> None:
        """Show phase ``index``; ``chosen``: as if the user had picked it."""
        self._phase_chosen = chosen
        self.slider.setValue(index)

    def show_phase_after_run(self) -> None:
        """Results are in: show the last phase, unless the user had picked one."""
        if not self._phase_chosen:
            self.slider.setValue(self.slider.maximum())

    def highlight_service(self, name: str | None) -> None:
        for phase_list in self.lists:
            for row in range(phase_list.count()):
                item = phase_list.item(row)
                item.setSelected(item.text() == name)
                if item.text() == name:
                    phase_list.scrollToItem(item)

    def move_service(self, name: str, target: int | None) -> bool:
        """Mesh ``name`` in 1-based phase ``target`` (None: no phase), as one undo step."""
        scenario = self._document.scenario
        where = f"phase {scenario.rollout.phases[target - 1].name}" if target else "no phase"
        return self._edit(
            f"Move {name} to {where}",
            lambda data: edits.move_service(data, scenario, name, target),
        )

    # --- building ---------------------------------------------------------------------

    def _on_document_scenario_changed(self, scenario: Scenario | None) -> None:
        for column in self.columns:
            column.deleteLater()
        self.columns, self.lists = [], []
        self.slider.setEnabled(scenario is not None)
        self.add_button.setEnabled(scenario is not None)
        if scenario is None:
            self._update_slider_label()
            return
        joins = edits.joining_phase(scenario)
        unassigned = [s.name for s in scenario.services if s.name not in joins]
        self._add_column(None, "Not in any phase", unassigned, scenario)
        for index, phase in enumerate(scenario.rollout.phases, start=1):
            names = [s.name for s in scenario.services if joins.get(s.name) == index]
            self._add_column(index, phase.name, names, scenario)
        self._fit_columns()
        count = len(scenario.rollout.phases)
        self.slider.blockSignals(True)
        self.slider.setRange(0, count)
        self.slider.setValue(min(self.slider.value(), count))
        self.slider.blockSignals(False)
        self._update_slider_label()

    def _add_column(self, index: int | None, title: str, names: list[str], scenario) -> None:
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        frame.setFixedWidth(COLUMN_MIN_W)  # then _fit_columns shares the dock's width
        colour = phase_colour(index).name()
        frame.setStyleSheet(f"QFrame#column {{ border-top: 4px solid {colour}; }}")
        frame.setObjectName("column")
        layout = QVBoxLayout(frame)
        layout.setContentsMargins(4, 3, 4, 4)
        layout.setSpacing(2)
        count = f"{len(names)} service{'' if len(names) == 1 else 's'}"
        if index is None:
            header = QLabel(f"<b>{title}</b>")
            header.setToolTip("Services the plan never meshes; drag them into a phase")
            header.setMinimumHeight(24)
            layout.addWidget(header)
            layout.addWidget(self._info_row("never meshed", count))
        else:
            layout.addLayout(self._phase_header(index, title, scenario))
            layout.addWidget(self._info_row(self._mtls_summary(scenario, index), count))
        phase_list = PhaseList(index, self._on_list_dropped)
        phase_list.setMinimumHeight(38)
        phase_list.setUniformItemSizes(True)
        for name in names:
            QListWidgetItem(name, phase_list)
        phase_list.itemClicked.connect(self._on_list_item_clicked)
        layout.addWidget(phase_list, 1)
        self._row.insertWidget(self._row.count() - 1, frame)
        self.columns.append(frame)
        self.lists.append(phase_list)

    @staticmethod
    def _info_row(text: str, count: str) -> QWidget:
        """One grey line under a column's header: what it changes, and how many services."""
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(1, 0, 1, 0)
        layout.setSpacing(4)
        summary, number = ElidedLabel(text), QLabel(count)
        for label in (summary, number):
            label.setStyleSheet("color: #546e7a; font-size: 11px;")
        layout.addWidget(summary, 1)
        layout.addWidget(number)
        return row

    def _column_width(self, count: int) -> int:
        margins = self._row.contentsMargins()
        room = self.scroll.viewport().width() - margins.left() - margins.right()
        room -= self._row.spacing() * (count - 1)
        return max(COLUMN_MIN_W, min(COLUMN_MAX_W, room // max(1, count)))

    def _fit_columns(self) -> None:
        width = self._column_width(len(self.columns))
        for column in self.columns:
            column.setFixedWidth(width)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_columns()

    def _phase_header(self, index: int, title: str, scenario: Scenario) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(0)
        name = QLineEdit(title)
        name.setCursorPosition(0)  # a narrow column shows the start of a long name
        name.setObjectName("phase_name")
        name.setToolTip(f"Phase {index}: type a new name to rename it")
        name.editingFinished.connect(lambda: self._rename(index, name))
        row.addWidget(name, 1)
        row.addSpacing(2)
        last = len(scenario.rollout.phases)
        for text, tip, slot, enabled in (
            ("◀", "Move this phase earlier", lambda: self._move_phase(index, -1), index > 1),
            ("▶", "Move this phase later", lambda: self._move_phase(index, 1), index < last),
            (
                "✕",
                "Remove this phase (its services go back to no phase)",
                lambda: self._remove_phase(index),
                True,
            ),
            (
                "⋯",
                "Edit this phase in the inspector (gateway, policies, waypoints)",
                lambda: self.phase_clicked.emit(index),
                True,
            ),
        ):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.setEnabled(enabled)
            button.setAutoRaise(True)
            button.setFixedWidth(20)
            button.clicked.connect(slot)
            row.addWidget(button)
        row.addWidget(self._mtls_button(index, scenario))
        return row

    def _mtls_button(self, index: int, scenario: Scenario) -> QToolButton:
        button = QToolButton()
        button.setText("mTLS▾")
        button.setAutoRaise(True)
        button.setStyleSheet("QToolButton::menu-indicator { image: none; }")
        button.setToolTip("mTLS changes (PeerAuthentication) made in this phase")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        rules = [
            r.model_dump(mode="json", exclude_none=True)
            for r in scenario.rollout.phases[index - 1].mtls
        ]
        for mode in ("STRICT", "PERMISSIVE"):
            rule = {"scope": "mesh", "mode": mode}
            self._rule_action(menu, f"Mesh-wide {mode}", index, rules, rule)
        strict = menu.addMenu("STRICT for service")
        for name in sorted(phase_state(scenario, index).meshed):
            rule = {"scope": "service", "name": name, "mode": "STRICT"}
            self._rule_action(strict, name, index, rules, rule)
        clear = menu.addAction("Clear this phase's mTLS changes")
        clear.setEnabled(bool(rules))
        clear.triggered.connect(lambda: self._set_mtls(index, []))
        button.setMenu(menu)
        return button

    def _rule_action(self, menu: QMenu, text: str, index: int, rules: list, rule: dict) -> None:
        action = QAction(text, menu)
        action.setCheckable(True)
        action.setChecked(rule in rules)
        target = (rule["scope"], rule.get("name"))
        others = [r for r in rules if (r["scope"], r.get("name")) != target]
        action.toggled.connect(lambda on: self._set_mtls(index, others + ([rule] if on else [])))
        menu.addAction(action)

    @staticmethod
    def _mtls_summary(scenario: Scenario, index: int) -> str:
        rules = scenario.rollout.phases[index - 1].mtls
        if not rules:
            return "mTLS: no change"
        parts = []
        for mode in dict.fromkeys(r.mode for r in rules):
            names = [r.name or "mesh-wide" for r in rules if r.mode == mode]
            parts.append(f"{mode} {', '.join(names)}")
        return "; ".join(parts)

    # --- edits ------------------------------------------------------------------------

    def _edit(self, text: str, change: Callable[[dict], object]) -> bool:
        try:
            self._document.edit(text, change)
        except ScenarioError as err:
            self.edit_failed.emit(
                f"{text}: "
                + "; ".join(f"{p.path}: {p.message}" if p.path else p.message for p in err.problems)
            )
            self._on_document_scenario_changed(self._document.scenario)
            return False
        return True

    def _on_list_dropped(self, names: list[str], target: int | None) -> None:
        scenario = self._document.scenario
        joins = edits.joining_phase(scenario)
        moving = [
            n
            for n in names
            if joins.get(n) != target and any(s.name == n for s in scenario.services)
        ]
        if not moving:
            self._on_document_scenario_changed(scenario)
            return
        if len(moving) == 1:
            self.move_service(moving[0], target)
            return

        def change(data: dict) -> None:
            for name in moving:
                edits.move_service(data, scenario, name, target)

        self._edit(f"Move {len(moving)} services", change)

    def _on_list_item_clicked(self, item: QListWidgetItem) -> None:
        self.service_clicked.emit(item.text())

    def _on_add_button_clicked(self) -> None:
        self._edit("Add phase", edits.add_phase)

    def _rename(self, index: int, editor: QLineEdit) -> None:
        new = editor.text().strip()
        old = self._document.scenario.rollout.phases[index - 1].name
        if new and new != old:
            self._edit(
                f"Rename phase {old} to {new}",
                lambda data: edits.rename_phase(data, index - 1, new),
            )
        elif not new:
            editor.setText(old)

    def _move_phase(self, index: int, delta: int) -> None:
        self._edit("Reorder phases", lambda data: edits.move_phase(data, index - 1, delta))

    def _remove_phase(self, index: int) -> None:
        name = self._document.scenario.rollout.phases[index - 1].name
        self._edit(f"Remove phase {name}", lambda data: edits.remove_phase(data, index - 1))

    def _set_mtls(self, index: int, rules: list[dict]) -> None:
        self._edit("Set mTLS", lambda data: edits.set_phase_mtls(data, index - 1, rules))

    def _on_slider_action_triggered(self, _action: int) -> None:
        self._phase_chosen = True

    def _on_slider_value_changed(self, value: int) -> None:
        self._update_slider_label()
        self.phase_displayed.emit(value)

    def _update_slider_label(self) -> None:
        scenario = self._document.scenario
        if scenario is None:
            self.slider_label.setText("")
            return
        names = phase_names(scenario)
        value = self.slider.value()
        self.slider_label.setText(f"<b>{names[value]}</b> (phase {value} of {len(names) - 1})")
