"""ResultsPanel: what the last run or comparison measured.

Tabs: the per-phase metrics of the plan on display, the per-service metrics of the
phase on display, the charts (meshsim's plot functions), the ranking of a comparison
and the blast-radius heat map. Everything it shows comes from the session: the plan
picked here (combo box or ranking) becomes the session's plan on display, which the
graph and the timeline show too. Clicking a service's row highlights it everywhere.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
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
from ui.result_tables import KEY_COLUMNS, key_rows, ms, number, phase_rows, table
from ui.session import Session

BAD = QColor(BAD_CELL)
GOOD = QColor(GOOD_CELL)
NO_RESULTS = "No results yet: press Run or Compare."
SERVICE_COLUMNS = ["service", "p99 ms", "busy", "errors", "timeouts", "calls", "attempts",
                   "retries", "rejected"]  # fmt: skip
"""Latency and load first: they show without scrolling in a narrow panel."""


class ResultsPanel(QWidget):
    """Tables and charts of the session's run, comparison and blast radius."""

    service_clicked = Signal(str)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ResultsPanel")
        self._session = session
        self.summary = QLabel(NO_RESULTS)
        self.summary.setWordWrap(True)
        self.ordering_combo = QComboBox()
        self.ordering_combo.setToolTip("The plan whose phases the tables, graph and timeline show")
        self.ordering_combo.currentTextChanged.connect(self._on_ordering_combo_text_changed)
        self.ordering_combo.hide()
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.ordering_combo)
        self.tabs = QTabWidget()
        self.key_table = table(KEY_COLUMNS)
        self.key_table.setObjectName("key_table")
        self.key_table.setToolTip(
            "The key figures of every phase (the worst entrypoint's); the table below "
            "has every figure"
        )
        self.key_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.key_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The phase names give way first, so every figure stays in view.
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        self.key_table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.phases_table = QTableWidget()
        self.phases_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.phases_page = QSplitter(Qt.Orientation.Vertical)
        self.phases_page.addWidget(self.key_table)
        self.phases_page.addWidget(self.phases_table)
        self.phases_page.setChildrenCollapsible(False)
        self.services_table = table(SERVICE_COLUMNS)
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
            (self.phases_page, "Phases", "Per-phase metrics of the plan appear here."),
            (self.services_table, "Services", "Per-service metrics of the phase on display."),
            (self.charts, "Charts", ""),
            (self.ranking_page, "Ranking", "The ranking of plans appears after Compare."),
            (self.blast_view, "Blast radius", ""),
        ):
            self.tabs.addTab(self._with_hint(widget, hint) if hint else widget, title)
        self.pages[self.phases_table] = self.pages[self.phases_page]
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self._blast_outdated = False
        self._drawn: Results | CompareResults | None = None
        """The results the charts and the ranking were drawn from."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        session.scenario_replaced.connect(self._on_session_scenario_replaced)
        session.results_changed.connect(self._on_session_results_changed)
        session.plan_changed.connect(self._on_session_plan_changed)
        session.phase_changed.connect(self._on_session_phase_changed)
        session.blast_changed.connect(self._on_session_blast_changed)
        session.display_changed.connect(self._on_session_display_changed)
        session.service_selected.connect(self.highlight_service)

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
    def run(self) -> Results | None:
        return self._session.run

    @property
    def comparison(self) -> CompareResults | None:
        return self._session.comparison

    @property
    def blast(self) -> BlastResults | None:
        return self._session.blast

    @property
    def current_phases(self) -> list[PhaseResult]:
        """Phases of the plan on display (the run, or the chosen ordering)."""
        return self._session.plan_phases

    @property
    def shown_plan(self) -> str:
        """The plan the tables show: its name in the phases table's corner."""
        return self.phases_table.property("plan") or ""

    def highlight_service(self, name: str | None) -> None:
        self.blast_view.highlight_service(name)
        table = self.services_table
        table.clearSelection()
        for row in range(table.rowCount()):
            item = table.item(row, 0)
            if item is not None and item.text() == name:
                table.selectRow(row)
                table.scrollToItem(item)

    # --- session ----------------------------------------------------------------------

    def _on_session_scenario_replaced(self) -> None:
        self._drawn = None
        self.ordering_combo.hide()
        self.summary.setText(NO_RESULTS)
        for page in (self.phases_table, self.services_table):
            page.setRowCount(0)
            self._filled(page, False)
        self.phases_table.setProperty("plan", "")
        self.ranking_page.clear()
        self._filled(self.ranking_page, False)
        self.charts.clear()

    def _on_session_results_changed(self) -> None:
        session = self._session
        latest = session.comparison or session.run
        if latest is not None and latest is not self._drawn:
            self._drawn = latest
            if session.comparison is not None:
                self._fill_orderings(session.comparison)
                self.charts.show_compare(session.comparison)
                self._show_tab(self.ranking_page)
            else:
                self.ordering_combo.hide()
                self.ranking_page.clear()  # a run replaces the comparison it ranked
                self._filled(self.ranking_page, False)
                self.charts.show_run(session.run)
                self._show_tab(self.phases_table)
        self._refresh()

    def _on_session_plan_changed(self, name: str) -> None:
        self.ordering_combo.blockSignals(True)
        self.ordering_combo.setCurrentIndex(self.ordering_combo.findText(name))  # -1: none
        self.ordering_combo.blockSignals(False)
        self.ranking_page.select_plan(name)
        self._refresh()

    def _on_session_phase_changed(self, _index: int) -> None:
        self._fill_services()
        self._mark_phase_column()

    def _on_session_blast_changed(self, results: BlastResults | None) -> None:
        if results is None:
            self.blast_view.clear()
            self._blast_outdated = True
            self._on_tabs_current_changed(self.tabs.currentIndex())
            return
        self.blast_view.show_measured(results)
        self._show_tab(self.blast_view)

    def _on_session_display_changed(self, _scenario) -> None:
        """The scenario or plan changed: redraw the structural blast radius (no run needed)."""
        self._blast_outdated = True
        if self.tabs.currentWidget() is self.blast_view:
            self._on_tabs_current_changed(self.tabs.currentIndex())

    # --- filling ----------------------------------------------------------------------

    def _fill_orderings(self, comparison: CompareResults) -> None:
        self.ordering_combo.blockSignals(True)
        self.ordering_combo.clear()
        self.ordering_combo.addItems([o.name for o in comparison.orderings])
        self.ordering_combo.setCurrentText(self._session.plan)
        self.ordering_combo.blockSignals(False)
        self.ordering_combo.show()
        self._filled(self.ranking_page, True)
        self.ranking_page.show_compare(comparison)
        self.ranking_page.select_plan(self._session.plan)

    def _refresh(self) -> None:
        session = self._session
        if session.comparison is not None:
            ranking = session.comparison.ranking
            what = f"Comparison of {len(session.comparison.orderings)} plans; best: " + (
                ranking[0] if ranking else "—"
            )
        elif session.run is not None:
            run = session.run
            what = (
                f"Run of {run.scenario}: {run.replications} replication(s) × "
                f"{run.duration_s:g} s, seed {run.seed}"
            )
        else:
            what = NO_RESULTS
        if session.stale and session.has_results:
            what += "  (scenario edited since: run again)"
        self.summary.setText(what)
        self.phases_table.setProperty("plan", session.plan)
        self._fill_phases(self.current_phases)
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
        self._fill_key_figures(phases)
        self._filled(table, bool(phases))
        self._mark_phase_column()

    def _fill_key_figures(self, phases: list[PhaseResult]) -> None:
        key = self.key_table
        rows = key_rows(phases)
        key.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            for column, (text, verdict) in enumerate(cells):
                item = QTableWidgetItem(text)
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                else:
                    item.setToolTip(text)
                if verdict is not None:
                    item.setBackground(QBrush(GOOD if verdict else BAD))
                key.setItem(row, column, item)
        rows_height = key.verticalHeader().length() + key.horizontalHeader().height() + 6
        key.setMaximumHeight(rows_height)
        key.setMinimumHeight(min(rows_height, 8 * 22 + 40))  # up to 8 phases always in view
        self.phases_page.setSizes([rows_height, max(100, self.phases_page.height() - rows_height)])

    def _mark_phase_column(self) -> None:
        for row in range(self.key_table.rowCount()):
            for column in range(self.key_table.columnCount()):
                item = self.key_table.item(row, column)
                if item is not None:
                    font = QFont(item.font())
                    font.setBold(row == self._session.phase)
                    item.setFont(font)
        table = self.phases_table
        for column in range(table.columnCount()):
            header = table.horizontalHeaderItem(column)
            if header is not None:
                font = QFont(header.font())
                font.setBold(column == self._session.phase)
                header.setFont(font)

    def _fill_services(self) -> None:
        phases = self.current_phases
        phase = self._session.phase
        table = self.services_table
        table.setSortingEnabled(False)
        if phase >= len(phases):
            table.setRowCount(0)
            self._filled(table, False)
            return
        self._filled(table, True)
        services = phases[phase].services
        table.setRowCount(len(services))
        for row, (name, result) in enumerate(services.items()):
            table.setItem(row, 0, QTableWidgetItem(name))
            p99 = result.latency_ms.p99
            table.setItem(row, 1, number(p99 or 0.0, ms(p99)))
            busy = number(result.utilization, f"{result.utilization:.0%}")
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
                table.setItem(row, column, number(value, f"{value:,.0f}"))
        table.setSortingEnabled(True)
        table.resizeColumnsToContents()

    # --- events -----------------------------------------------------------------------

    def _on_tabs_current_changed(self, _index: int) -> None:
        scenario = self._session.display_scenario
        visible = self.tabs.currentWidget() is self.blast_view
        if visible and self._blast_outdated and self._session.blast is None and scenario:
            self._blast_outdated = False
            self.blast_view.show_structural(scenario)

    def _on_ordering_combo_text_changed(self, name: str) -> None:
        if self._session.comparison is not None and name:
            self._session.set_plan(name)

    def _on_services_table_cell_clicked(self, row: int, column: int) -> None:
        self.service_clicked.emit(self.services_table.item(row, 0).text())

    def _on_ranking_page_plan_clicked(self, name: str) -> None:
        self._session.set_plan(name)
        self._show_tab(self.phases_table)
