"""PhaseTimeline: the rollout plan as columns of services, and the phase on display.

Drag a service from one column to another to change the phase in which it joins
the mesh; each column's header renames, moves, removes the phase and sets its
mTLS changes. A strip beside the slider shows the injected faults' windows over the
simulated time every phase runs (click one to edit it). The slider picks the phase
on display (the session's), which the graph and the results show too. After Compare
it draws the plan picked in the ranking; a plan other than the scenario's own is
shown read-only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from meshsim import phase_names
from models import Scenario
from ui import edits
from ui.backend import ScenarioError
from ui.fault_strip import FaultStrip
from ui.palette import phase_colour
from ui.phase_list import ElidedLabel, PhaseList, mtls_button, phase_summary
from ui.session import Session

COLUMN_MIN_W, COLUMN_MAX_W = 204, 300
"""Columns share the dock's width within these bounds (then the row scrolls)."""


class PhaseTimeline(QWidget):
    """Phases as columns, with a slider choosing the phase on display."""

    phase_displayed = Signal(int)
    phase_clicked = Signal(int)
    service_clicked = Signal(str)
    fault_clicked = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PhaseTimeline")
        self._session = session
        self._document = session.document
        self._editable = True
        self.columns: list[QFrame] = []
        self.lists: list[PhaseList] = []
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.slider.setPageStep(1)
        self.slider.setToolTip("The phase the graph and the results show (0 = baseline)")
        self.slider.valueChanged.connect(self._on_slider_value_changed)
        self.slider.actionTriggered.connect(self._on_slider_action_triggered)
        self.slider_label = QLabel()
        self.slider_label.setMinimumWidth(200)
        self.add_button = QPushButton("+ Add phase")
        self.add_button.setToolTip("Append an empty phase to the rollout")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.slider.setRange(0, 0)
        self.slider.setEnabled(False)
        self.add_button.setEnabled(False)
        self.plan_note = QLabel()
        self.plan_note.setStyleSheet("color: #37474f; background: #fff8e1; padding: 2px 6px;")
        self.plan_note.setToolTip(
            "The timeline shows the plan picked in the comparison; it cannot be edited here"
        )
        self.written_button = QPushButton("Show the written plan")
        self.written_button.setToolTip("Show (and edit) the scenario's own rollout plan")
        self.written_button.clicked.connect(self._on_written_button_clicked)
        self.use_button = QPushButton("Use this plan")
        self.use_button.setToolTip(
            "Make this plan the scenario's rollout plan (one step: Undo reverts it)"
        )
        self.use_button.clicked.connect(self._on_use_button_clicked)
        self.plan_note.hide()
        self.written_button.hide()
        self.use_button.hide()
        # The faults share the top row with the slider: the columns keep their height.
        self.fault_strip = FaultStrip()
        self.fault_strip.fault_clicked.connect(self.fault_clicked)
        top = QHBoxLayout()
        top.addWidget(QLabel("Phase on display:"))
        top.addWidget(self.slider, 1)
        top.addWidget(self.slider_label)
        top.addWidget(self.fault_strip, 1)
        top.addWidget(self.plan_note)
        top.addWidget(self.use_button)
        top.addWidget(self.written_button)
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
        session.display_changed.connect(self._on_session_display_changed)
        session.phase_changed.connect(self._on_session_phase_changed)
        session.service_selected.connect(self.highlight_service)

    # --- public API -------------------------------------------------------------------

    @property
    def displayed_phase(self) -> int:
        return self.slider.value()

    @property
    def phase_chosen(self) -> bool:
        """True once the user has picked a phase with the slider (for this scenario)."""
        return self._session.phase_chosen

    @property
    def editable(self) -> bool:
        """False while it shows a plan of the comparison other than the scenario's own."""
        return self._editable

    def set_displayed_phase(self, index: int, *, chosen: bool = False) -> None:
        """Show phase ``index``; ``chosen``: as if the user had picked it."""
        self._session.set_phase(index, chosen=chosen)

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

    def _on_session_display_changed(self, scenario: Scenario | None) -> None:
        self._rebuild(scenario)

    def _rebuild(self, scenario: Scenario | None) -> None:
        for column in self.columns:
            column.deleteLater()
        self.columns, self.lists = [], []
        self._editable = self._session.shows_written_plan
        self._show_plan_note(scenario)
        self.slider.setEnabled(scenario is not None)
        self.add_button.setEnabled(scenario is not None and self._editable)
        self.fault_strip.set_scenario(scenario)
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
        self.slider.setValue(min(self._session.phase, count))
        self.slider.blockSignals(False)
        self._update_slider_label()

    def _show_plan_note(self, scenario: Scenario | None) -> None:
        plan = self._session.plan
        shown = scenario is not None and not self._editable
        if shown:
            self.plan_note.setText(f"Plan <b>{plan}</b> (read-only)")
        self.plan_note.setVisible(shown)
        self.written_button.setVisible(shown)
        self.use_button.setVisible(shown)
        self.add_button.setVisible(not shown)

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
            layout.addWidget(self._info_row(phase_summary(scenario, index), count))
        phase_list = PhaseList(index, self._on_list_dropped, self._editable)
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
        name.setReadOnly(not self._editable)
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
            button.setEnabled(enabled and (self._editable or text == "⋯"))
            button.setAutoRaise(True)
            button.setFixedWidth(20)
            button.clicked.connect(slot)
            row.addWidget(button)
        mtls = mtls_button(scenario, index, lambda rules: self._set_mtls(index, rules))
        mtls.setEnabled(self._editable)
        row.addWidget(mtls)
        return row

    # --- edits ------------------------------------------------------------------------

    def _edit(self, text: str, change: Callable[[dict], object]) -> bool:
        try:
            self._document.edit(text, change)
        except ScenarioError as err:
            problems = [f"{p.path}: {p.message}" if p.path else p.message for p in err.problems]
            detail = f"{text}: " + "; ".join(problems)
            self._session.tell("error", "That change was not applied:", [detail])
            self._rebuild(self._session.display_scenario)
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
            self._rebuild(self._session.display_scenario)
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
        self._session.set_phase(self._session.phase, chosen=True)

    def _on_slider_value_changed(self, value: int) -> None:
        self._session.set_phase(value)

    def _on_session_phase_changed(self, index: int) -> None:
        if self.slider.value() != index:
            self.slider.blockSignals(True)
            self.slider.setValue(index)
            self.slider.blockSignals(False)
        self._update_slider_label()
        self.phase_displayed.emit(index)

    def _on_written_button_clicked(self) -> None:
        self._session.set_plan("")

    def _on_use_button_clicked(self) -> None:
        self._session.use_plan()

    def _update_slider_label(self) -> None:
        scenario = self._session.display_scenario
        if scenario is None:
            self.slider_label.setText("")
            return
        names = phase_names(scenario)
        value = self.slider.value()
        self.slider_label.setText(f"<b>{names[value]}</b> (phase {value} of {len(names) - 1})")
