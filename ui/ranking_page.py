"""RankingPage: the plans of a comparison, best first, and what its columns mean.

The deciding figures (score, its paired difference to the best, breakages, SLO misses,
broken limits) come first, so they show without scrolling in the results panel of the
default window; a long plan name is elided (its tooltip has it) rather than pushing
them out of sight. When the dock is too narrow for every column, the least deciding
ones (strategy, CPU, mTLS, …) are hidden rather than scrolled to, a note says which,
and every row's tooltip lists all its figures. A plan not distinguishable from the
best (the 95% interval of the paired difference includes 0) is marked "≈"; the verdict
sits above the legend, which folds away.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.results import CompareResults, OrderingResult, OrderingScore
from ui.palette import BAD_CELL

RANKING_HELP = (
    "Best plan first; a red row breaks a rollout constraint, breaks calls (STRICT before "
    "its callers are meshed) or misses an SLO, and ranks after every plan that does none "
    "of these. <b>score</b>: higher is better (terms and weights in docs/planning.md). "
    "<b>vs best</b>: paired score difference to the best ± its 95% interval; <b>≈</b>: not "
    "distinguishable from the best (the interval includes 0). <b>limits</b>: constraints "
    "broken (pilot exposure, phase size, first, last). <b>exposure</b>: share of requests "
    "touching the services a phase onboards (mean and largest over the phases). <b>Δp99</b>: worst "
    "phase p99 minus the baseline's. <b>mTLS AUC</b>: mean mTLS coverage over the phases "
    "(sensitive: of calls into sensitive services). <b>peak CPU</b>: proxy vCPU at the "
    "busiest phase. Hover a header for more; click a row to show that plan everywhere."
)
COLUMNS: list[tuple[str, str | None]] = [
    ("#", None),
    ("plan", None),
    ("score", "score"),
    ("vs best\n±95%", "delta_vs_best"),
    ("breaks", "breakages"),
    ("SLO\nmisses", "slo_violations"),
    ("limits", "violations"),
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
KEPT_COLUMNS = 7
"""Columns never hidden for room: rank to limits (the deciding figures)."""
PLAN_COLUMN_MIN_W = 84
"""The plan's name gives way to hidden columns only below this width."""


_SHORT_LIMITS = {
    "pilotMaxExposure": "pilot",
    "maxServicesPerPhase": "size",
    "first": "first",
    "last": "last",
}


def delta_text(score: OrderingScore, best: bool = False, interval: bool = True) -> str:
    """The paired difference to the best with its half-width ("≈" when tied), or "best"."""
    if best:
        return "best"
    if score.delta_vs_best is None:
        return "–"
    tie = "≈" if score.tied_with_best else ""
    half = f"±{score.delta_ci95 or 0.0:.1f}" if interval else ""
    return f"{score.delta_vs_best:+.1f}{half}{tie}"


def ranking_row(rank: int, ordering: OrderingResult, interval: bool = True) -> list[str]:
    """The texts of one row of the ranking, in the order of ``COLUMNS``."""
    score = ordering.score
    return [
        str(rank),
        ordering.name,
        f"{score.score:.1f}",
        delta_text(score, rank == 1, interval),
        str(score.breakages),
        str(score.slo_violations),
        ", ".join(_SHORT_LIMITS.get(v, v) for v in score.violations) or "ok",
        f"{score.mean_exposure:.0%}",
        f"{score.p99_delta_ms:+.1f}",
        f"{score.max_exposure:.0%}",
        f"{score.mtls_auc:.0%}",
        f"{score.sensitive_mtls_auc:.0%}",
        f"{score.peak_proxy_cpu_cores:.2f}",
        ordering.strategy,
    ]


def row_tooltip(texts: list[str]) -> str:
    """Every figure of a row, one per line ("score: 39.9"), for the columns out of sight."""
    return "\n".join(
        f"{header.replace(chr(10), ' ')}: {text}"
        for (header, _), text in zip(COLUMNS, texts, strict=True)
        if header != "#"
    )


class RankingPage(QWidget):
    """The ranking table over its legend; clicking a row picks that plan."""

    plan_clicked = Signal(str)
    settings_requested = Signal()

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
        table.horizontalHeader().setStyleSheet("QHeaderView::section { padding: 1px 3px; }")
        table.cellClicked.connect(self._on_table_cell_clicked)
        self.verdict = QLabel("")
        self.verdict.setObjectName("RankingVerdict")
        self.verdict.setWordWrap(True)
        self.verdict.setStyleSheet("padding: 6px;")
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setWordWrap(False)
        self.hidden_note = QLabel("")
        self.hidden_note.setObjectName("RankingHiddenColumns")
        self.hidden_note.setWordWrap(True)
        self.hidden_note.setStyleSheet("color: #607d8b; font-size: 11px; padding: 0 6px;")
        self.hidden_note.hide()
        self.legend = QLabel(RANKING_HELP)
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color: #455a64; padding: 6px;")
        self.legend.hide()
        self.legend_button = QPushButton("What the columns mean")
        self.legend_button.setCheckable(True)
        self.legend_button.setFlat(True)
        self.legend_button.setStyleSheet("text-align: left; color: #1565c0; padding: 2px 6px;")
        self.legend_button.toggled.connect(self.legend.setVisible)
        self.settings_button = QPushButton("Weights and constraints…")
        self.settings_button.setToolTip(
            "The rollout constraints and the points of each term of the score (Compare "
            "again to rank with them)"
        )
        self.settings_button.clicked.connect(self.settings_requested)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 4, 0)
        buttons.addWidget(self.legend_button)
        buttons.addStretch(1)
        buttons.addWidget(self.settings_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(table, 1)
        layout.addWidget(self.hidden_note)
        layout.addWidget(self.verdict)
        layout.addLayout(buttons)
        layout.addWidget(self.legend)

    def show_compare(self, results: CompareResults) -> None:
        by_name = {o.name: o for o in results.orderings}
        table = self.table
        table.setRowCount(len(results.ranking))
        for row, name in enumerate(results.ranking):
            ordering = by_name[name]
            score = ordering.score
            failing = score.slo_violations or score.breakages or score.violations
            texts = ranking_row(row + 1, ordering, results.has_interval(name))
            tip = row_tooltip(texts)
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(tip)
                if column not in (1, len(texts) - 1):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if failing:
                    item.setBackground(QBrush(QColor(BAD_CELL)))
                table.setItem(row, column, item)
            if score.violations:
                table.item(row, 6).setToolTip(f"breaks {', '.join(score.violations)}\n\n{tip}")
            if score.tied_with_best and row > 0:
                table.item(row, 3).setToolTip(
                    "not distinguishable from the best: the 95% interval of the paired "
                    f"score difference includes 0\n\n{tip}"
                )
        counts = sorted(set(results.replications.values()))
        reps = f" Replications: {'/'.join(map(str, counts))}." if counts else ""
        self.verdict.setText(results.verdict + reps)
        self.fit_columns()

    def fit_columns(self) -> None:
        """Size the columns to their contents; hide the least deciding ones that do not fit."""
        table = self.table
        for column in range(table.columnCount()):
            table.setColumnHidden(column, False)
        table.resizeColumnsToContents()
        table.setColumnWidth(1, min(table.columnWidth(1), PLAN_COLUMN_MAX_W))
        room = table.viewport().width()
        hidden = []
        column = table.columnCount() - 1
        # the plan's name may shrink a little before a column is hidden
        slack = max(0, table.columnWidth(1) - PLAN_COLUMN_MIN_W)
        while column >= KEPT_COLUMNS and self._width() - slack > room:
            table.setColumnHidden(column, True)
            hidden.insert(0, COLUMNS[column][0].replace("\n", " "))
            column -= 1
        if self._width() > room:  # still too wide: the plan's name gives way (elided)
            excess = self._width() - room
            table.setColumnWidth(1, max(MIN_COLUMN_W * 2, table.columnWidth(1) - excess))
        self.hidden_note.setText(
            f"Hidden for room: {', '.join(hidden)}. Hover a row for all its figures."
        )
        self.hidden_note.setVisible(bool(hidden) and table.rowCount() > 0)

    def _width(self) -> int:
        table = self.table
        return sum(
            table.columnWidth(c) for c in range(table.columnCount()) if not table.isColumnHidden(c)
        )

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        # once the layout has resized the table's viewport too
        QTimer.singleShot(0, self, self._refit)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        QTimer.singleShot(0, self, self._refit)

    def _refit(self) -> None:
        if self.table.rowCount():
            self.fit_columns()

    def clear(self) -> None:
        self.table.setRowCount(0)
        self.verdict.setText("")
        self.hidden_note.hide()

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
