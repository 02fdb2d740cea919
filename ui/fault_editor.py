"""The inspector's fault editing: the list of faults (add one) and a fault's buttons.

A fault itself is edited by the inspector's form (``models.Fault``), which shows the
fields of the fault's type only; changing the type drops the fields it does not take
and starts those it needs (``ui.edits.set_fault_type``).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from models import Scenario, format_duration
from ui import edits
from ui.fault_strip import fault_text
from ui.inspector_extras import SCENARIO, Extras, Selection

EXCLUDED = {
    "outage": ("error_rate", "delay", "probability"),
    "crash": ("error_rate", "delay", "probability"),
    "error": ("delay", "probability"),
    "latency": ("error_rate",),
}
"""Fields of ``models.Fault`` the form leaves out for each type."""


def new_fault_window(scenario: Scenario) -> tuple[str, str]:
    """Start and duration of a new fault: the middle third of the measured time."""
    sim = scenario.simulation
    third = (sim.duration - sim.warmup) / 3
    return format_duration(sim.warmup + third), format_duration(third)


class FaultList(Extras):
    """The scenario's faults: click one to edit it, or add one."""

    def __init__(self, selection: Selection, scenario: Scenario) -> None:
        super().__init__(selection)
        self.setObjectName("FaultList")
        self._scenario = scenario
        box = QGroupBox("Faults")
        box.setToolTip("Injected faults: they apply in every phase, baseline included")
        self.fault_list = QListWidget()
        self.fault_list.setMaximumHeight(90)
        end = scenario.simulation.duration
        for fault in scenario.faults:
            QListWidgetItem(fault_text(fault, end), self.fault_list)
        self.fault_list.itemClicked.connect(self._on_fault_list_item_clicked)
        self.fault_service = QComboBox()
        self.fault_service.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.fault_service.setMinimumContentsLength(6)
        self.fault_service.addItems([s.name for s in scenario.services])
        self.fault_service.setToolTip("The service the new fault hits")
        add = QPushButton("Add fault")
        add.setToolTip("Add an outage of this service (then choose its type and window)")
        add.clicked.connect(self.add_fault)
        row = QHBoxLayout()
        row.addWidget(QLabel("on"))
        row.addWidget(self.fault_service, 1)
        row.addWidget(add)
        layout = QVBoxLayout(box)
        layout.addWidget(self.fault_list)
        layout.addLayout(row)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(box)
        self.fault_list.setHidden(not scenario.faults)

    def add_fault(self) -> None:
        service = self.fault_service.currentText()
        if not service:
            return
        start, duration = new_fault_window(self._scenario)
        index = len(self._scenario.faults)
        self.edit_requested.emit(
            f"Add fault: {service} outage",
            lambda data: edits.add_fault(data, service, start, duration),
            Selection("fault", (index,)),
        )

    def _on_fault_list_item_clicked(self, item: QListWidgetItem) -> None:
        self.select_requested.emit(Selection("fault", (self.fault_list.row(item),)))


class FaultButtons(Extras):
    """Back to the scenario's settings, or remove the fault."""

    def __init__(self, selection: Selection) -> None:
        super().__init__(selection)
        note = QLabel("A fault applies in every phase, over the simulated time of each.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #607d8b;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(note)
        layout.addWidget(
            self._buttons(("◀ Scenario settings", self.back), ("Remove fault", self.remove))
        )

    def back(self) -> None:
        self.select_requested.emit(SCENARIO)

    def remove(self) -> None:
        index = self.selection.key[0]
        self.edit_requested.emit(
            f"Remove fault {index + 1}", lambda data: edits.remove_fault(data, index), SCENARIO
        )
