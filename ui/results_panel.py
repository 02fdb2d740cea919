"""ResultsPanel: what the last run or comparison measured.

Tabs: the per-phase metrics of one plan, the per-service metrics of the phase on
display, the charts (meshsim's plot functions), the ranking of a comparison and the
blast-radius heat map. Clicking a service's row highlights it everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from models.results import BlastResults, CompareResults, PhaseResult, Results
from ui.blast_view import BlastView
from ui.charts import ChartsView
from ui.palette import BAD_CELL, GOOD_CELL, heat_colour
from ui.ranking_page import RankingPage

BAD = QColor(BAD_CELL)
GOOD = QColor(GOOD_CELL)


def phase_rows(phases: Sequence[PhaseResult]) -> list[tuple[str, list[str], list[bool | None]]]:
    """Rows of the phases table: (metric, one text per phase, one verdict per phase)."""
    rows: list[tuple[str, list[str], list[bool | None]]] = []
    entries = list(phases[0].entrypoints) if phases else []
    for name in entries:
        results = [p.entrypoints.get(name) for p in phases]
        verdicts = [r.slo_met if r else None for r in results]
        rows.append(
            (f"{name}: p99 (ms)", [_ms(r.latency_ms.p99 if r else None) for r in results], verdicts)
        )
        rows.append(
            (
                f"{name}: p50 (ms)",
                [_ms(r.latency_ms.p50 if r else None) for r in results],
                [None] * len(results),
            )
        )
        rows.append(
            (f"{name}: success", [f"{r.success_rate:.2%}" if r else "—" for r in results], verdicts)
        )
        rows.append((f"{name}: SLO met", ["yes" if v else "no" for v in verdicts], verdicts))
    none = [None] * len(phases)
    rows += [
        ("Exposure", [f"{p.exposure:.1%}" for p in phases], none),
        ("mTLS coverage", [f"{p.mtls_coverage:.1%}" for p in phases], none),
        ("Policy coverage", [f"{p.policy_coverage:.1%}" for p in phases], none),
        ("Telemetry coverage", [f"{p.telemetry_coverage:.1%}" for p in phases], none),
        ("Retry amplification", [f"{p.retry_amplification:.3f}" for p in phases], none),
        (
            "STRICT breakages",
            [f"{p.breakages:,.0f}" for p in phases],
            [p.breakages == 0 for p in phases],
        ),
        ("Proxies", [str(p.proxies) for p in phases], none),
        ("Proxy CPU (cores)", [f"{p.proxy_cpu_cores:.3f}" for p in phases], none),
        ("Proxy memory (MiB)", [f"{p.proxy_memory_mi_b:,.0f}" for p in phases], none),
    ]
    return rows


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.verticalHeader().setDefaultSectionSize(22)
    table.verticalHeader().hide()
    return table


class ResultsPanel(QWidget):
    """Tables and charts of the last run, comparison and blast radius."""

    service_clicked = Signal(str)
    ordering_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ResultsPanel")
        self.run: Results | None = None
        self.comparison: CompareResults | None = None
        self.blast: BlastResults | None = None
        self._phase = 0
        self.summary = QLabel("No results yet: press Run or Compare.")
        self.summary.setWordWrap(True)
        self.ordering_combo = QComboBox()
        self.ordering_combo.setToolTip("The plan whose phases the tables and the graph show")
        self.ordering_combo.currentTextChanged.connect(self._on_ordering_combo_text_changed)
        self.ordering_combo.hide()
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.ordering_combo)
        self.tabs = QTabWidget()
        self.phases_table = QTableWidget()
        self.phases_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Latency and load first: they show without scrolling in a narrow panel.
        self.services_table = _table(
            [
                "service",
                "p99 ms",
                "busy",
                "errors",
                "timeouts",
                "calls",
                "attempts",
                "retries",
                "rejected",
            ]
        )
        self.services_table.setSortingEnabled(True)
        self.services_table.cellClicked.connect(self._on_services_table_cell_clicked)
        self.charts = ChartsView()
        self.ranking_page = RankingPage()
        self.ranking_page.plan_clicked.connect(self._on_ranking_page_plan_clicked)
        self.ranking_table = self.ranking_page.table
        self.blast_view = BlastView()
        self.blast_view.service_clicked.connect(self.service_clicked)
        self.pages: dict[QWidget, QStackedWidget] = {}
        for widget, title, hint in (
            (self.phases_table, "Phases", "Per-phase metrics of the plan appear here."),
            (self.services_table, "Services", "Per-service metrics of the phase on display."),
            (self.charts, "Charts", ""),
            (self.ranking_page, "Ranking", "The ranking of plans appears after Compare."),
            (self.blast_view, "Blast radius", ""),
        ):
            self.tabs.addTab(self._with_hint(widget, hint) if hint else widget, title)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self._scenario = None
        self._blast_outdated = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        self.stale = False

    def _with_hint(self, widget: QWidget, hint: str) -> QStackedWidget:
        label = QLabel(
            f"{hint}\n\nPress ▶ Run to simulate this plan phase by phase, or "
            "Compare to rank it against generated rollout orderings."
        )
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setStyleSheet("color: #607d8b; padding: 20px;")
        stack = QStackedWidget()
        stack.addWidget(label)
        stack.addWidget(widget)
        self.pages[widget] = stack
        return stack

    def _filled(self, widget: QWidget, filled: bool) -> None:
        self.pages[widget].setCurrentIndex(1 if filled else 0)

    def _show_tab(self, widget: QWidget) -> None:
        self.tabs.setCurrentWidget(self.pages.get(widget, widget))

    # --- what is shown ----------------------------------------------------------------

    @property
    def current_phases(self) -> list[PhaseResult]:
        """Phases of the plan on display (the run, or the chosen ordering)."""
        if self.comparison is not None:
            for ordering in self.comparison.orderings:
                if ordering.name == self.ordering_combo.currentText():
                    return list(ordering.phases)
        return list(self.run.phases) if self.run is not None else []

    def as_written_phases(self) -> list[PhaseResult]:
        """Phases of the scenario's own plan, for the graph."""
        if self.run is not None:
            return list(self.run.phases)
        if self.comparison is not None:
            for ordering in self.comparison.orderings:
                if "as-written" in (ordering.name, ordering.strategy):
                    return list(ordering.phases)
        return []

    def show_run(self, results: Results) -> None:
        self.run, self.comparison = results, None
        self.ordering_combo.hide()
        self.stale = False
        self._refresh()
        self.charts.show_run(results)
        self._show_tab(self.phases_table)

    def show_compare(self, results: CompareResults) -> None:
        self.comparison, self.run = results, None
        self.stale = False
        self.ordering_combo.blockSignals(True)
        self.ordering_combo.clear()
        self.ordering_combo.addItems([o.name for o in results.orderings])
        best = results.ranking[0] if results.ranking else ""
        self.ordering_combo.setCurrentText(best)
        self.ordering_combo.blockSignals(False)
        self.ordering_combo.show()
        self._filled(self.ranking_page, True)
        self.ranking_page.show_compare(results)
        self._refresh()
        self.charts.show_compare(results)
        self._show_tab(self.ranking_page)

    def show_blast(self, results: BlastResults) -> None:
        self.blast = results
        self.blast_view.show_measured(results)
        self._show_tab(self.blast_view)

    def show_scenario(self, scenario) -> None:
        """The scenario changed: redraw the structural blast radius (no run needed)."""
        self._scenario = scenario
        self._blast_outdated = True
        if self.blast is None and self.tabs.currentWidget() is self.blast_view:
            self._on_tabs_current_changed(self.tabs.currentIndex())

    def _on_tabs_current_changed(self, _index: int) -> None:
        visible = self.tabs.currentWidget() is self.blast_view
        if visible and self._blast_outdated and self.blast is None and self._scenario:
            self._blast_outdated = False
            self.blast_view.show_structural(self._scenario)

    def clear(self) -> None:
        self.run = self.comparison = self.blast = None
        self.ordering_combo.hide()
        self.summary.setText("No results yet: press Run or Compare.")
        for table in (self.phases_table, self.services_table):
            table.setRowCount(0)
        self.ranking_page.clear()
        for page in (self.phases_table, self.services_table, self.ranking_page):
            self._filled(page, False)
        self.charts.clear()

    def mark_stale(self) -> None:
        """The scenario changed after these results were computed."""
        if (self.run or self.comparison) and not self.stale:
            self.stale = True
            self.summary.setText(self.summary.text() + "  (scenario edited since: run again)")

    def set_phase(self, index: int) -> None:
        self._phase = index
        self._fill_services()
        self._mark_phase_column()

    def highlight_service(self, name: str | None) -> None:
        self.blast_view.highlight_service(name)
        for table in (self.services_table,):
            table.clearSelection()
            for row in range(table.rowCount()):
                item = table.item(row, 0)
                if item is not None and item.text() == name:
                    table.selectRow(row)
                    table.scrollToItem(item)

    # --- filling ----------------------------------------------------------------------

    def _refresh(self) -> None:
        phases = self.current_phases
        if self.comparison is not None:
            what = f"Comparison of {len(self.comparison.orderings)} plans; best: " + (
                self.comparison.ranking[0] if self.comparison.ranking else "—"
            )
        elif self.run is not None:
            what = (
                f"Run of {self.run.scenario}: {self.run.replications} replication(s) × "
                f"{self.run.duration_s:g} s, seed {self.run.seed}"
            )
        else:
            what = "No results yet: press Run or Compare."
        self.summary.setText(what)
        self._fill_phases(phases)
        self._fill_services()

    def _fill_phases(self, phases: list[PhaseResult]) -> None:
        table = self.phases_table
        rows = phase_rows(phases)
        table.clear()
        table.setColumnCount(len(phases))
        table.setRowCount(len(rows))
        table.setHorizontalHeaderLabels([f"{p.index}\n{p.name}" for p in phases])
        table.verticalHeader().setDefaultSectionSize(22)
        table.setVerticalHeaderLabels([r[0] for r in rows])
        for row, (_, texts, verdicts) in enumerate(rows):
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                if verdicts[column] is not None:
                    item.setBackground(QBrush(GOOD if verdicts[column] else BAD))
                table.setItem(row, column, item)
        table.resizeColumnsToContents()
        self._filled(table, bool(phases))
        self._mark_phase_column()

    def _mark_phase_column(self) -> None:
        table = self.phases_table
        for column in range(table.columnCount()):
            header = table.horizontalHeaderItem(column)
            if header is not None:
                font = QFont(header.font())
                font.setBold(column == self._phase)
                header.setFont(font)

    def _fill_services(self) -> None:
        phases = self.current_phases
        table = self.services_table
        table.setSortingEnabled(False)
        if self._phase >= len(phases):
            table.setRowCount(0)
            self._filled(table, False)
            return
        self._filled(table, True)
        services = phases[self._phase].services
        table.setRowCount(len(services))
        for row, (name, result) in enumerate(services.items()):
            table.setItem(row, 0, QTableWidgetItem(name))
            p99 = result.latency_ms.p99
            table.setItem(row, 1, _number(p99 or 0.0, _ms(p99)))
            busy = _number(result.utilization, f"{result.utilization:.0%}")
            busy.setBackground(QBrush(heat_colour(result.utilization)))
            table.setItem(row, 2, busy)
            values = [
                result.errors,
                result.timeouts,
                result.calls,
                result.attempts,
                result.retries,
                result.rejected,
            ]
            for column, value in enumerate(values, start=3):
                table.setItem(row, column, _number(value, f"{value:,.0f}"))
        table.setSortingEnabled(True)
        table.resizeColumnsToContents()

    # --- events -----------------------------------------------------------------------

    def _on_ordering_combo_text_changed(self, name: str) -> None:
        if self.comparison is not None and name:
            self._refresh()
            self.ordering_chosen.emit(name)

    def _on_services_table_cell_clicked(self, row: int, column: int) -> None:
        self.service_clicked.emit(self.services_table.item(row, 0).text())

    def _on_ranking_page_plan_clicked(self, name: str) -> None:
        self.ordering_combo.setCurrentText(name)
        self._show_tab(self.phases_table)


class _Number(QTableWidgetItem):
    """A table cell that sorts by its value, not its text."""

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine = self.data(Qt.ItemDataRole.UserRole)
        theirs = other.data(Qt.ItemDataRole.UserRole)
        if isinstance(mine, float) and isinstance(theirs, float):
            return mine < theirs
        return super().__lt__(other)


def _number(value: float, text: str) -> QTableWidgetItem:
    item = _Number(text)
    item.setData(Qt.ItemDataRole.UserRole, float(value))
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item
