"""The items of the graph view: service and entrypoint nodes, call arrows.

Items only paint what they are told (``set_style``); deciding colours from the
scenario and the results is the view's job, so a phase change repaints without
rebuilding anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from ui.palette import (
    BROKEN_COLOUR,
    FAILURE_COLOUR,
    HIGHLIGHT_COLOUR,
    MTLS_COLOUR,
    PLAINTEXT_COLOUR,
    heat_colour,
)

NODE_H = 46.0
NODE_MIN_W, NODE_MAX_W = 120.0, 210.0
"""A service node is as wide as its name needs, within these bounds (longer names are
elided; the tooltip has them in full), so an 11-service graph stays readable when it
is fitted into the middle of the window."""
ENTRY_MIN_W, ENTRY_MAX_W, ENTRY_H = 72.0, 150.0, 34.0
NAME_PT, SUBTITLE_PT = 9, 8
NAME_PAD = 8.0 + 18.0
"""Left margin and right margin (clear of the ✓ badge) around a service's name."""
LABEL_MIN_SCALE = 0.5
"""Below this zoom (names under ~6 px) nodes are drawn without texts and badges: they
cannot be read, and a 1,000-service overview paints several times faster without them."""


def node_font(bold: bool, points: float) -> QFont:
    """The font of node texts: the application's family at ``points``."""
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


def tint(colour: QColor, strength: float) -> QColor:
    """``colour`` mixed into white: readable under black text."""
    return QColor(
        *(int(255 - (255 - c) * strength) for c in (colour.red(), colour.green(), colour.blue()))
    )


def fitted(painter: QPainter, text: str, width: float) -> str:
    """``text`` ("a · b · c") without the last parts that do not fit, else elided."""
    metrics = painter.fontMetrics()
    parts = text.split(" · ")
    while len(parts) > 1 and metrics.horizontalAdvance(" · ".join(parts)) > width:
        parts.pop()
    return metrics.elidedText(" · ".join(parts), Qt.TextElideMode.ElideRight, int(width))


@dataclass
class NodeStyle:
    """What a node shows for the phase on display."""

    colour: QColor
    meshed: bool = False
    onboarded: bool = False
    subtitle: str = ""
    heat: float | None = None
    strict: bool = False
    fill: QColor | None = None
    """Fill instead of the phase tint (colour by utilization ρ)."""


class NodeItem(QGraphicsItem):
    """A service (or, with ``entry=True``, an entrypoint) of the graph."""

    def __init__(self, name: str, *, entry: bool = False) -> None:
        super().__init__()
        self.name = name
        self.entry = entry
        self.edges: list[EdgeItem] = []
        self.style = NodeStyle(QColor("#9e9e9e"))
        self.highlighted = False
        self.group_size = 0
        """Services a collapsed group node stands for (0: a service or entrypoint)."""
        self.height = ENTRY_H if entry else NODE_H
        self.width = self.natural_width()
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable | flags.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return QRectF(-3, -9, self.width + 12, self.height + 12)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, self.width, self.height), 8, 8)
        return path

    def natural_width(self) -> float:
        """The width the name needs, within the bounds of the node's kind."""
        name = QFontMetricsF(node_font(True, NAME_PT)).horizontalAdvance(self.name)
        if self.entry:
            return max(ENTRY_MIN_W, min(ENTRY_MAX_W, name + 20))
        return max(NODE_MIN_W, min(NODE_MAX_W, name + NAME_PAD + 2))

    deferred = False
    """While True (the view moves many nodes at once) arrows are not re-routed on every
    move; the view re-routes each affected arrow once afterwards."""

    def set_width(self, width: float) -> None:
        """Resize (the view gives every node of a column the column's width)."""
        if width != self.width:
            self.prepareGeometryChange()
            self.width = width
            if not NodeItem.deferred:
                for edge in self.edges:
                    edge.update_path()

    def set_style(self, style: NodeStyle) -> None:
        self.style = style
        self.update()

    def set_highlighted(self, on: bool) -> None:
        if on != self.highlighted:
            self.highlighted = on
            self.update()

    def port_out(self) -> QPointF:
        return self.pos() + QPointF(self.width, self.height / 2)

    def port_in(self) -> QPointF:
        return self.pos() + QPointF(0, self.height / 2)

    def itemChange(self, change, value):  # noqa: N802 - Qt override
        moved = change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged
        if moved and not NodeItem.deferred:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        rect = QRectF(0, 0, self.width, self.height)
        style = self.style
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod >= LABEL_MIN_SCALE)
        if self.group_size:
            painter.setPen(QPen(style.colour, 1.5))
            painter.setBrush(QColor("#ffffff"))
            painter.drawRoundedRect(rect.translated(5, -5), 8, 8)
        if self.highlighted or self.isSelected():
            painter.setPen(QPen(QColor(HIGHLIGHT_COLOUR), 6))
            painter.drawRoundedRect(rect, 9, 9)
        if self.entry:
            self._paint_entry(painter, rect, lod)
            return
        fill = style.fill or (tint(style.colour, 0.3) if style.meshed else QColor("#ffffff"))
        pen = QPen(style.colour, 3 if style.onboarded else 2)
        if not style.meshed:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(QBrush(fill))
        painter.drawRoundedRect(rect, 8, 8)
        if style.heat is not None:
            self._paint_heat(painter, rect, style.heat)
        if lod < LABEL_MIN_SCALE:
            return
        if style.meshed:
            self._paint_badge(painter, style)
        self._paint_text(painter, rect, style)

    def _paint_entry(self, painter: QPainter, rect: QRectF, lod: float) -> None:
        painter.setPen(QPen(QColor("#37474f"), 1.5))
        painter.setBrush(QBrush(QColor("#eceff1")))
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
        if lod < LABEL_MIN_SCALE:
            return
        painter.setPen(QColor("#263238"))
        painter.setFont(node_font(True, NAME_PT))
        name = painter.fontMetrics().elidedText(
            self.name, Qt.TextElideMode.ElideMiddle, int(rect.width() - 16)
        )
        painter.drawText(rect.adjusted(8, 0, -8, -13), Qt.AlignmentFlag.AlignCenter, name)
        painter.setFont(node_font(False, SUBTITLE_PT - 0.5))
        painter.drawText(
            rect.adjusted(8, 15, -8, 0), Qt.AlignmentFlag.AlignCenter, self.style.subtitle
        )

    def _paint_text(self, painter: QPainter, rect: QRectF, style: NodeStyle) -> None:
        painter.setPen(QColor("#1b1b1b"))
        painter.setFont(node_font(True, NAME_PT))
        text_rect = rect.adjusted(8, 4, -(NAME_PAD - 8), -rect.height() / 2)
        name = painter.fontMetrics().elidedText(
            self.name, Qt.TextElideMode.ElideMiddle, int(text_rect.width())
        )
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(text_rect, left, name)
        painter.setFont(node_font(False, SUBTITLE_PT))
        painter.setPen(QColor("#455a64"))
        sub_rect = rect.adjusted(8, rect.height() / 2 - 2, -6, -6)
        painter.drawText(sub_rect, left, fitted(painter, style.subtitle, sub_rect.width()))

    def _paint_heat(self, painter: QPainter, rect: QRectF, heat: float) -> None:
        bar = QRectF(6, rect.height() - 5, (rect.width() - 12) * max(0.03, min(1.0, heat)), 3)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(heat_colour(heat))
        painter.drawRect(bar)

    def _paint_badge(self, painter: QPainter, style: NodeStyle) -> None:
        centre = QPointF(self.width - 2, 2)
        painter.setPen(QPen(QColor("#ffffff"), 1.5))
        painter.setBrush(QColor(MTLS_COLOUR) if style.strict else style.colour.darker(115))
        painter.drawEllipse(centre, 8, 8)
        tick = QPen(QColor("#ffffff"), 2)
        tick.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(tick)
        painter.drawPolyline(
            QPolygonF([centre + QPointF(-4, 0), centre + QPointF(-1, 3), centre + QPointF(4, -3)])
        )


@dataclass
class EdgeStyle:
    """What a call arrow shows: its mTLS state and the failures of the last run."""

    kind: str = "plaintext"
    failure_rate: float = 0.0


class EdgeItem(QGraphicsPathItem):
    """An arrow from a caller to a callee; several calls of one pair share an arrow."""

    def __init__(self, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.source = source
        self.target = target
        self.style = EdgeStyle()
        self.count = 1
        """Calls this arrow stands for (more than 1 between collapsed groups)."""
        self.plain = False
        """Solid lines only (the view sets it on large graphs: dashes paint slowly)."""
        self._head = QPolygonF()
        self._bounds = QRectF()
        source.edges.append(self)
        target.edges.append(self)
        self.setZValue(0)
        self.setAcceptHoverEvents(True)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.set_style(self.style)
        self.update_path()

    def set_style(self, style: EdgeStyle) -> None:
        self.style = style
        colours = {"mtls": MTLS_COLOUR, "broken": BROKEN_COLOUR}
        colour = QColor(colours.get(style.kind, PLAINTEXT_COLOUR))
        width = 1.6
        if style.failure_rate >= 0.005 and style.kind != "broken":
            colour = QColor(FAILURE_COLOUR)
        if style.failure_rate > 0:
            width += min(4.0, 1.5 + 40 * style.failure_rate) if style.failure_rate >= 0.005 else 0
        pen = QPen(colour, width)
        pen.setStyle(
            {
                "mtls": Qt.PenStyle.SolidLine,
                "broken": Qt.PenStyle.DashDotLine,
            }.get(style.kind, Qt.PenStyle.DashLine)
        )
        self.setPen(pen)
        self.update()

    stale = False
    """True while hidden after its nodes moved: the path is out of date."""

    def update_path(self) -> None:
        self.stale = False
        start, end = self.source.port_out(), self.target.port_in()
        path = QPainterPath(start)
        if abs(self.source.x() - self.target.x()) < 20:
            # Same column: an arc on the right side, into the callee's right edge.
            end = self.target.port_out()
            bulge = 40 + abs(end.y() - start.y()) / 5
            path.cubicTo(start + QPointF(bulge, 0), end + QPointF(bulge, 0), end)
        elif end.x() > start.x() + 20:
            bend = (end.x() - start.x()) / 2
            path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end)
        else:
            # Backward call (a cycle or a same-column callee): loop below the nodes.
            drop = max(self.source.height, 40.0) + abs(end.y() - start.y()) / 4
            path.cubicTo(start + QPointF(80, drop), end + QPointF(-80, drop), end)
        self.prepareGeometryChange()
        self.setPath(path)
        # the curve ends along its last control point's direction (cheaper than sampling it)
        last = path.elementAt(path.elementCount() - 2)
        angle = math.atan2(end.y() - last.y, end.x() - last.x)
        size = 9.0
        self._head = QPolygonF(
            [
                end,
                end - QPointF(math.cos(angle - 0.4) * size, math.sin(angle - 0.4) * size),
                end - QPointF(math.cos(angle + 0.4) * size, math.sin(angle + 0.4) * size),
            ]
        )
        self._bounds = path.controlPointRect().united(self._head.boundingRect())
        self._bounds.adjust(-7, -7, 7, 7)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(8)
        return stroker.createStroke(self.path())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod >= LABEL_MIN_SCALE)
        pen = QPen(self.pen())
        if self.count > 1:
            pen.setWidthF(pen.widthF() + min(4.0, math.log2(self.count)))
        if self.plain or lod < LABEL_MIN_SCALE:
            pen.setStyle(Qt.PenStyle.SolidLine)
        if self.isSelected():
            pen.setWidthF(pen.widthF() + 2)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(pen.color())
        painter.drawPolygon(self._head)
        if self.count > 1 and lod >= LABEL_MIN_SCALE:
            painter.setPen(QColor("#37474f"))
            painter.setFont(node_font(False, SUBTITLE_PT))
            painter.drawText(self.path().pointAtPercent(0.5) + QPointF(4, -4), f"×{self.count}")
