"""RunHistory: the last runs of the session, and any two of them side by side.

A run is kept with a label (what was run, and when); :func:`differences` lines up two
results by phase name and entrypoint and lists each metric of both with the change, so
"what did that retry setting do?" is one glance. The app adds every finished run with
:meth:`RunHistoryView.add`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QListWidget,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.results import PhaseResult, Results

MAX_RUNS = 10

ENTRY_METRICS = (
    ("success %", lambda e: 100 * e.success_rate),
    ("good %", lambda e: 100 * e.good_rate),
    ("p50 ms", lambda e: e.latency_ms.p50),
    ("p99 ms", lambda e: e.latency_ms.p99),
)
PHASE_METRICS = (
    ("retry x", lambda p: p.retry_amplification),
    ("mTLS %", lambda p: 100 * p.mtls_coverage),
    ("proxy vCPU", lambda p: p.proxy_cpu_cores),
    ("breakages", lambda p: p.breakages),
)


@dataclass(frozen=True)
class Difference:
    """One metric of one phase (and entrypoint) in two runs."""

    phase: str
    entrypoint: str
    metric: str
    a: float | None
    b: float | None

    @property
    def delta(self) -> float | None:
        """The change ``b - a``, when both are known."""
        return None if self.a is None or self.b is None else self.b - self.a


def _phase_rows(name: str, a: PhaseResult | None, b: PhaseResult | None) -> list[Difference]:
    rows = []
    entries = list(dict.fromkeys([*(a.entrypoints if a else {}), *(b.entrypoints if b else {})]))
    for entry in entries:
        ea = a.entrypoints.get(entry) if a else None
        eb = b.entrypoints.get(entry) if b else None
        for metric, get in ENTRY_METRICS:
            rows.append(
                Difference(name, entry, metric, get(ea) if ea else None, get(eb) if eb else None)
            )
    for metric, get in PHASE_METRICS:
        rows.append(Difference(name, "", metric, get(a) if a else None, get(b) if b else None))
    return rows


def differences(a: Results, b: Results) -> list[Difference]:
    """Every metric of both runs, phase by phase (matched by name, in a's order first)."""
    by_a = {p.name: p for p in a.phases}
    by_b = {p.name: p for p in b.phases}
    names = list(dict.fromkeys([*by_a, *by_b]))
    return [row for name in names for row in _phase_rows(name, by_a.get(name), by_b.get(name))]


def _cell(value: float | None, signed: bool = False) -> QTableWidgetItem:
    text = "-" if value is None else (f"{value:+.3g}" if signed else f"{value:.4g}")
    item = QTableWidgetItem(text)
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class RunHistoryView(QWidget):
    """The last runs (select one or two) and the differences of the two selected."""

    def __init__(self, max_runs: int = MAX_RUNS, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RunHistoryView")
        self.runs: deque[tuple[str, Results]] = deque(maxlen=max_runs)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        self.list.itemSelectionChanged.connect(self._on_list_item_selection_changed)
        self.note = QLabel("Select two runs to see them side by side.")
        self.table = QTableWidget(0, 6)
        self.table.setHorizontalHeaderLabels(["phase", "entry", "metric", "A", "B", "B − A"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.list)
        splitter.addWidget(self.table)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.note)
        layout.addWidget(splitter, 1)

    def add(self, results: Results, label: str) -> None:
        """Keep a finished run (the oldest goes beyond ``max_runs``), newest first."""
        self.runs.appendleft((label, results))
        self.list.blockSignals(True)
        self.list.clear()
        self.list.addItems([name for name, _ in self.runs])
        self.list.blockSignals(False)
        self._show([])

    def _on_list_item_selection_changed(self) -> None:
        rows = sorted(self.list.row(item) for item in self.list.selectedItems())
        self._show(rows)

    def _show(self, rows: list[int]) -> None:
        self.table.setRowCount(0)
        if len(rows) != 2:
            self.note.setText("Select two runs to see them side by side.")
            return
        (name_b, b), (name_a, a) = self.runs[rows[0]], self.runs[rows[1]]  # A = the older
        self.note.setText(f"A: {name_a}    B: {name_b}")
        diffs = differences(a, b)
        self.table.setRowCount(len(diffs))
        for r, d in enumerate(diffs):
            for c, text in enumerate((d.phase, d.entrypoint, d.metric)):
                self.table.setItem(r, c, QTableWidgetItem(text))
            self.table.setItem(r, 3, _cell(d.a))
            self.table.setItem(r, 4, _cell(d.b))
            self.table.setItem(r, 5, _cell(d.delta, signed=True))
