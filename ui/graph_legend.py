"""GraphLegend: what the graph's line styles and node looks mean."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QWidget

from ui.graph_items import tint
from ui.palette import BROKEN_COLOUR, FAILURE_COLOUR, MTLS_COLOUR, PLAINTEXT_COLOUR, phase_colour


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

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphLegend")
        self.setFixedHeight(38)
        self.setToolTip(
            "Node colour: the phase in which the service joins the mesh (as in the "
            "timeline below); grey: never meshed."
        )

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = self.width() / self.COLUMNS
        for i, (kind, colour, style, text) in enumerate(self.ITEMS):
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
