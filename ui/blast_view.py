"""BlastView: which services' outages hurt, as a table and a heat map.

Before any measurement it shows the structural blast radius of each service in each
phase where it is meshed (``meshsim.report.plots.blast_matrix``, no simulation needed);
after a blast-radius run, the measured and structural values of the phase measured.
Clicking a row or a heat-map cell selects that service.
"""

from __future__ import annotations

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QScrollArea,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models import Scenario
from models.results import BlastResults
from ui.backend import blast_matrix, plot_blast_heatmap
from ui.palette import heat_colour

ROW_PX = 18


class _Value(QTableWidgetItem):
    def __lt__(self, other: QTableWidgetItem) -> bool:
        return (self.data(Qt.ItemDataRole.UserRole) or 0.0) < (
            other.data(Qt.ItemDataRole.UserRole) or 0.0
        )


class BlastView(QWidget):
    """Blast radius per service: measured (table) and as a heat map."""

    service_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BlastView")
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["service", "measured", "structural"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.cellClicked.connect(self._on_table_cell_clicked)
        self.table.hide()
        self.figure = Figure(layout="constrained", dpi=100)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.mpl_connect("button_press_event", self._on_canvas_button_press)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.canvas)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(scroll)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(splitter, 1)
        self._rows: list[str] = []
        self.measured: BlastResults | None = None

    def show_structural(self, scenario: Scenario) -> None:
        """Heat map of the structural blast radius over the scenario's phases."""
        phases = scenario.rollout.phases
        self.measured = None
        self.table.hide()
        if not phases:
            self.note.setText("The plan has no phases: press Blast radius to measure one.")
            self._draw({}, [])
            return
        self.note.setText(
            "Structural blast radius (share of entry requests that need the service) in "
            "each phase where it is meshed. Press Blast radius to measure outages."
        )
        self._draw(blast_matrix(scenario, phases), [p.name for p in phases])

    def show_measured(self, results: BlastResults) -> None:
        self.measured = results
        self.note.setText(
            f"Outage of each service in phase {results.phase}: share of entry requests "
            "that turn bad (measured) or need it (structural)."
        )
        table = self.table
        table.setSortingEnabled(False)
        table.setRowCount(len(results.services))
        for row, (name, entry) in enumerate(results.services.items()):
            table.setItem(row, 0, QTableWidgetItem(name))
            for column, value in ((1, entry.blast_radius), (2, entry.structural_blast_radius)):
                item = _Value(f"{value:.1%}")
                item.setData(Qt.ItemDataRole.UserRole, value)
                item.setBackground(QBrush(heat_colour(value)))
                table.setItem(row, column, item)
        table.setSortingEnabled(True)
        table.sortItems(1, Qt.SortOrder.DescendingOrder)
        table.show()
        values = {
            name: [max(0.0, e.blast_radius), e.structural_blast_radius]
            for name, e in results.services.items()
        }
        self._draw(values, ["measured", "structural"])

    def clear(self) -> None:
        """Forget the measured blast radius (the structural one is drawn on demand)."""
        self.measured = None
        self.table.setRowCount(0)
        self.table.hide()
        self.note.setText("")
        self._draw({}, [])

    def highlight_service(self, name: str | None) -> None:
        self.table.clearSelection()
        for row in range(self.table.rowCount()):
            if self.table.item(row, 0).text() == name:
                self.table.selectRow(row)

    def _draw(self, values: dict, columns: list[str]) -> None:
        self.figure.clear()
        self._rows = list(values)
        self.canvas.setMinimumHeight(max(240, 60 + ROW_PX * len(self._rows)))
        if values:
            axes = plot_blast_heatmap(self.figure.add_subplot(), values, columns)
            # The dock is narrow: steeper phase names than the report's, so they never overlap.
            for label in axes.get_xticklabels():
                label.set_rotation(60)
                label.set_rotation_mode("anchor")
        self.canvas.draw_idle()

    def _on_table_cell_clicked(self, row: int, _column: int) -> None:
        self.service_clicked.emit(self.table.item(row, 0).text())

    def _on_canvas_button_press(self, event) -> None:
        if event.inaxes is None or event.ydata is None or not self._rows:
            return
        row = int(round(event.ydata))
        if 0 <= row < len(self._rows):
            self.service_clicked.emit(self._rows[row])
