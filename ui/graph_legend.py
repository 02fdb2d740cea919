"""GraphLegend: what the graph's line styles and node looks mean."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPen
from PySide6.QtWidgets import QWidget

from ui.graph_items import tint
from ui.palette import (
    BROKEN_COLOUR,
    FAILURE_COLOUR,
    MTLS_COLOUR,
    PLAINTEXT_COLOUR,
    heat_colour,
    phase_colour,
)

RHO_TICKS = (0.0, 0.5, 0.9, 1.0)
"""Marks on the ρ scale: idle, half, the overload warning (SPEC §18), saturated."""


class GraphLegend(QWidget):
    """What the line styles and node looks mean: a strip under the graph."""

    ITEMS = (
        ("line", MTLS_COLOUR, Qt.PenStyle.SolidLine, "mTLS"),
        ("line", PLAINTEXT_COLOUR, Qt.PenStyle.DashLine, "plaintext"),
        ("line", BROKEN_COLOUR, Qt.PenStyle.DashDotLine, "refused by STRICT"),
        ("line", FAILURE_COLOUR, Qt.PenStyle.SolidLine, "failures (last run)"),
        ("node", False, Qt.PenStyle.DashLine, "not meshed yet"),
        ("node", True, Qt.PenStyle.SolidLine, "meshed ✓ (bar: load)"),
    )
    COLUMNS = 3
    PHASE_TIP = (
        "Node colour: the phase in which the service joins the mesh (as in the "
        "timeline below); grey: never meshed."
    )
    RHO_TIP = (
        "Node fill: utilization ρ = offered load × mean service time / workers at the "
        "entry rates, computed without running (meshsim capacity); at 0.9 and above a "
        "service is overloaded."
    )

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphLegend")
        self.setFixedHeight(38)
        self.mode = "phase"
        self.setToolTip(self.PHASE_TIP)

    def set_mode(self, mode: str) -> None:
        """``"phase"`` or ``"utilization"``: what node colours mean (the graph's mode)."""
        self.mode = mode
        self.setToolTip(self.RHO_TIP if mode == "utilization" else self.PHASE_TIP)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = self.width() / self.COLUMNS
        items = list(enumerate(self.ITEMS))
        if self.mode == "utilization":
            # first row: the ρ scale; second: the line styles, which keep their meaning
            self._paint_rho_scale(painter, 6.0, self.width() * 2 / 3)
            items = [(i + self.COLUMNS, item) for i, item in enumerate(self.ITEMS[:2])]
            items.append((self.COLUMNS + 2, self.ITEMS[3]))
        for i, (kind, colour, style, text) in items:
            x, y = 6 + (i % self.COLUMNS) * width, 11 + (i // self.COLUMNS) * 17
            if kind == "line":
                pen = QPen(QColor(colour), 2.2)
                pen.setStyle(style)
                painter.setPen(pen)
                painter.drawLine(int(x), y, int(x + 28), y)
            else:
                painter.setPen(QPen(phase_colour(1), 1.6, style))
                painter.setBrush(tint(phase_colour(1), 0.3) if colour else QColor("#ffffff"))
                painter.drawRoundedRect(int(x), y - 5, 28, 11, 3, 3)
            painter.setPen(QColor("#37474f"))
            painter.drawText(int(x + 34), y + 4, text)

    def _paint_rho_scale(self, painter: QPainter, left: float, right: float) -> None:
        painter.setPen(QColor("#37474f"))
        painter.drawText(int(left), 15, "utilization ρ")
        bar = QRectF(left + 90, 5, right - left - 90, 11)
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for stop in (0.0, 0.25, 0.5, 0.75, 1.0):
            gradient.setColorAt(stop, tint(heat_colour(stop), 0.75))
        painter.setBrush(gradient)
        painter.setPen(QPen(QColor("#90a4ae"), 1))
        painter.drawRect(bar)
        for tick in RHO_TICKS:
            x = bar.left() + tick * bar.width()
            painter.drawLine(int(x), int(bar.bottom()), int(x), int(bar.bottom()) + 3)
        painter.setPen(QColor("#37474f"))
        painter.drawText(int(bar.right()) + 6, 15, "≥ 0.9 overloaded")
