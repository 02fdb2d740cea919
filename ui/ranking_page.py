"""RankingPage: the plans of a comparison, best first, and what its columns mean.

The deciding figures (score, breakages, SLO misses, mean exposure, Δp99) come first, so
they show without scrolling in the results panel of the default window; a long plan
name is elided (its tooltip has it) rather than pushing them out of sight.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.results import CompareResults, OrderingResult, OrderingScore
from ui.palette import BAD_CELL

RANKING_HELP = (
    "Best plan first; a red row breaks calls (STRICT before its callers are meshed) or "
    "misses an SLO, and ranks after every plan that does neither. <b>score</b>: higher is "
    "better (weights in docs/planning.md). <b>exposure</b>: share of requests touching the "
    "services a phase onboards (mean and largest over the phases). <b>Δp99</b>: worst "
    "phase p99 minus the baseline's. <b>mTLS AUC</b>: mean mTLS coverage over the phases "
    "(sensitive: of calls into sensitive services). <b>peak CPU</b>: proxy vCPU at the "
    "busiest phase. Hover a header for more; click a row to show that plan everywhere."
)
COLUMNS: list[tuple[str, str | None]] = [
    ("#", None),
    ("plan", None),
    ("score", "score"),
    ("breaks", "breakages"),
    ("SLO\nmisses", "slo_violations"),
    ("mean\nexposure", "mean_exposure"),
    ("Δp99\nms", "p99_delta_ms"),
    ("max\nexposure", "max_exposure"),
    ("mTLS\nAUC", "mtls_auc"),
    ("sensitive\nmTLS", "sensitive_mtls_auc"),
    ("peak\nCPU", "peak_proxy_cpu_cores"),
    ("strategy", None),
]
"""Header and score field (for the header's tooltip) of each column."""
PLAN_COLUMN_MAX_W = 116
MIN_COLUMN_W = 28


def ranking_row(rank: int, ordering: OrderingResult) -> list[str]:
    """The texts of one row of the ranking, in the order of ``COLUMNS``."""
    score = ordering.score
    return [
        str(rank),
        ordering.name,
        f"{score.score:.1f}",
        str(score.breakages),
        str(score.slo_violations),
        f"{score.mean_exposure:.0%}",
        f"{score.p99_delta_ms:+.1f}",
        f"{score.max_exposure:.0%}",
        f"{score.mtls_auc:.0%}",
        f"{score.sensitive_mtls_auc:.0%}",
        f"{score.peak_proxy_cpu_cores:.2f}",
        ordering.strategy,
    ]


class RankingPage(QWidget):
    """The ranking table over its legend; clicking a row picks that plan."""

    plan_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RankingPage")
        self.table = QTableWidget(0, len(COLUMNS))
        table = self.table
        table.setHorizontalHeaderLabels([header for header, _ in COLUMNS])
        for column, (_, field) in enumerate(COLUMNS):
            if field is not None:
                tip = OrderingScore.model_fields[field].description
                table.horizontalHeaderItem(column).setToolTip(tip)
        table.horizontalHeader().setMinimumSectionSize(MIN_COLUMN_W)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        table.verticalHeader().setDefaultSectionSize(22)
        table.verticalHeader().hide()
        table.cellClicked.connect(self._on_table_cell_clicked)
        legend = QLabel(RANKING_HELP)
        legend.setWordWrap(True)
        legend.setStyleSheet("color: #455a64; padding: 6px;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(table, 1)
        layout.addWidget(legend)

    def show_compare(self, results: CompareResults) -> None:
        by_name = {o.name: o for o in results.orderings}
        table = self.table
        table.setRowCount(len(results.ranking))
        for row, name in enumerate(results.ranking):
            ordering = by_name[name]
            failing = ordering.score.slo_violations or ordering.score.breakages
            texts = ranking_row(row + 1, ordering)
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if column not in (1, len(texts) - 1):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if failing:
                    item.setBackground(QBrush(QColor(BAD_CELL)))
                table.setItem(row, column, item)
            table.item(row, 1).setToolTip(name)
        table.resizeColumnsToContents()
        table.setColumnWidth(1, min(table.columnWidth(1), PLAN_COLUMN_MAX_W))

    def clear(self) -> None:
        self.table.setRowCount(0)

    def select_plan(self, name: str) -> None:
        """Mark the row of the plan on display."""
        table = self.table
        table.clearSelection()
        for row in range(table.rowCount()):
            item = table.item(row, 1)
            if item is not None and item.text() == name:
                table.selectRow(row)
                table.scrollToItem(item)

    @property
    def selected_plan(self) -> str:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return self.table.item(min(rows), 1).text() if rows else ""

    def _on_table_cell_clicked(self, row: int, _column: int) -> None:
        self.plan_clicked.emit(self.table.item(row, 1).text())
