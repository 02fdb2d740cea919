"""What the replay paints over the graph: traffic on the arrows, load on the nodes.

The overlay's items are children of the graph's own items (``ui.graph_items``), so
they follow a dragged node and vanish with a rebuilt scene; the graph itself is left
as it is. ``ReplayOverlay.show_at`` sets the values of one time bucket and moves the
dots; painting is all it costs per frame (no item is created or removed).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ui.graph_items import SUBTITLE_PT, EdgeItem, NodeItem, node_font
from ui.graph_view import GraphView
from ui.palette import heat_colour
from ui.replay_data import TRIES_SHOWN_ABOVE, EdgeSeries, PhaseSeries

__all__ = ["LoadItem", "ReplayOverlay", "TrafficItem", "failure_colour", "traffic_width"]

MIN_WIDTH, MAX_WIDTH = 2.0, 14.0
"""Pen widths of the thinnest and the busiest arrow (requests/s scale linearly between)."""
MAX_DOTS = 8
SAMPLES = 48
"""Points kept along an arrow's path for placing its dots without ``pointAtPercent``."""
HEALTHY, AMBER, RED = QColor("#3d8fd6"), QColor("#f4a300"), QColor("#d32f2f")
PILLS_OVERHANG = 140.0
"""The labels above a node may run this far past its right edge."""
QUEUE_COLOUR, EJECTED_COLOUR, TRIES_COLOUR = "#ef6c00", "#c62828", "#6a1b9a"


def _mix(a: QColor, b: QColor, f: float) -> QColor:
    f = max(0.0, min(1.0, f))
    return QColor(
        *(round(x + (y - x) * f) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))
    )


def failure_colour(share: float) -> QColor:
    """Blue (no failures) → amber (5 % failed) → red (half or more failed)."""
    if share <= 0.05:
        return _mix(HEALTHY, AMBER, share / 0.05)
    return _mix(AMBER, RED, (share - 0.05) / 0.45)


def traffic_width(rate: float, peak: float) -> float:
    """Pen width of an arrow carrying ``rate`` requests/s when the busiest carries ``peak``."""
    if rate <= 0 or peak <= 0:
        return 0.0
    return MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * min(1.0, rate / peak)


def _pill(painter: QPainter, left: QPointF, text: str, colour: str) -> float:
    """A small rounded label at ``left`` (its left middle); returns its width."""
    width = painter.fontMetrics().horizontalAdvance(text) + 10
    rect = QRectF(left.x(), left.y() - 7.5, width, 15)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawRoundedRect(rect, 7, 7)
    painter.setPen(QColor("#ffffff"))
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    return width


class TrafficItem(QGraphicsItem):
    """The traffic of one arrow in the bucket on display, drawn over the arrow."""

    def __init__(self, edge: EdgeItem) -> None:
        super().__init__(edge)
        self.edge = edge
        self.rate = self.share = self.tries = 0.0
        self.width = 0.0
        self.phase = 0.0
        """Where the dots are along the arrow (0..1, wraps)."""
        self._samples: list[QPointF] = []
        self._length = 0.0
        self._sampled_for: tuple | None = None
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent, False)

    def set_traffic(self, rate: float, share: float, tries: float, width: float) -> None:
        self.rate, self.share, self.tries, self.width = rate, share, tries, width

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self.edge.path().boundingRect().adjusted(-30, -20, 30, 20)

    def shape(self) -> QPainterPath:
        return QPainterPath()  # never catches the mouse: clicks and tooltips reach the arrow

    def _points(self) -> list[QPointF]:
        key = (self.edge.source.pos().toTuple(), self.edge.target.pos().toTuple())
        if key != self._sampled_for:
            path = self.edge.path()
            self._samples = [path.pointAtPercent(i / (SAMPLES - 1)) for i in range(SAMPLES)]
            self._length = path.length()
            self._sampled_for = key
        return self._samples

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if self.width <= 0:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        colour = failure_colour(self.share)
        line = QColor(colour)
        line.setAlpha(170)
        pen = QPen(line, self.width)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.edge.path())
        points = self._points()
        radius = max(2.0, min(5.0, self.width / 2.5))
        room = int(self._length / (4 * radius))  # dots keep apart on a short arrow
        dots = max(1, min(MAX_DOTS, room, round(self.width / MAX_WIDTH * MAX_DOTS)))
        painter.setPen(QPen(colour.darker(130), 1))
        painter.setBrush(QColor("#ffffff"))
        for j in range(dots):
            at = (self.phase + j / dots) % 1.0 * (len(points) - 1)
            low = int(at)
            high = min(low + 1, len(points) - 1)
            point = points[low] + (points[high] - points[low]) * (at - low)
            painter.drawEllipse(point, radius, radius)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if self.tries > TRIES_SHOWN_ABOVE and lod >= 0.4:
            painter.setFont(node_font(True, 8))
            text = f"×{self.tries:.1f}" if self.tries < 9.95 else f"×{self.tries:.0f}"
            middle = points[len(points) // 2]
            width = painter.fontMetrics().horizontalAdvance(text) + 10
            _pill(painter, middle - QPointF(width / 2, self.width / 2 + 8), text, TRIES_COLOUR)


class LoadItem(QGraphicsItem):
    """A service's load in the bucket on display: busy bar, queue, ejected replicas."""

    def __init__(self, node: NodeItem, replicas: int) -> None:
        super().__init__(node)
        self.node = node
        self.replicas = replicas
        self.utilization = self.queued = self.ejected = 0.0
        self.amplification = 0.0
        """Tries per entry request when far above normal, else 0 (not shown)."""
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(2)

    def set_load(self, utilization: float, queued: float, ejected: float, amplification: float):
        self.utilization, self.queued = utilization, queued
        self.ejected, self.amplification = ejected, amplification
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return QRectF(-2, -20, self.node.width + PILLS_OVERHANG, self.node.height + 22)

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width, height = self.node.width, self.node.height
        track = QRectF(6, height - 7, width - 12, 5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 30))
        painter.drawRoundedRect(track, 2, 2)
        busy = max(0.0, min(1.0, self.utilization))
        if busy > 0:
            painter.setBrush(QBrush(heat_colour(busy)))
            filled = QRectF(track.left(), track.top(), track.width() * busy, track.height())
            painter.drawRoundedRect(filled, 2, 2)
        if option.levelOfDetailFromTransform(painter.worldTransform()) < 0.4:
            return
        painter.setFont(node_font(False, SUBTITLE_PT))
        taken = painter.fontMetrics().horizontalAdvance(self.node.style.subtitle) + 14
        painter.setFont(node_font(True, SUBTITLE_PT))
        text = f"{busy:.0%} busy"
        if taken + painter.fontMetrics().horizontalAdvance(text) > width - 6:
            text = f"{busy:.0%}"
        painter.setPen(QColor("#263238"))
        painter.drawText(
            QRectF(0, height / 2 - 2, width - 6, height / 2 - 8),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            text,
        )
        left = QPointF(0, -10)
        if self.queued >= 0.5:
            left.setX(left.x() + _pill(painter, left, f"queue {self.queued:.0f}", QUEUE_COLOUR) + 3)
        if self.ejected >= 0.5:
            text = f"{self.ejected:.0f}/{self.replicas} ejected"
            left.setX(left.x() + _pill(painter, left, text, EJECTED_COLOUR) + 3)
        if self.amplification > 0:
            _pill(painter, left, f"{self.amplification:.0f} tries/req", TRIES_COLOUR)


class ReplayOverlay:
    """The replay's items on a ``GraphView``; rebuilt when its scene is."""

    def __init__(self, graph: GraphView) -> None:
        self.graph = graph
        self.traffic: dict[tuple[str, str], TrafficItem] = {}
        self.loads: dict[str, LoadItem] = {}
        self.series: PhaseSeries | None = None
        self._edges: list[tuple[EdgeSeries, TrafficItem]] = []
        self._bucket = -1
        self._normal: dict[str, float] = {}

    def attach(
        self, series: PhaseSeries | None, replicas: dict[str, int], *, rebuilt: bool
    ) -> None:
        """Make the items for the graph's scene and ``series`` (None: only remove them).

        ``rebuilt``: the graph rebuilt its scene since the last call, which deleted
        the old items with it.
        """
        if not rebuilt:
            for item in [*self.traffic.values(), *self.loads.values()]:
                item.setParentItem(None)
                self.graph.scene().removeItem(item)
        self.traffic, self.loads, self._edges = {}, {}, []
        self.series, self._bucket = series, -1
        if series is None:
            return
        for key, edge in self.graph.edges.items():
            self.traffic[key] = TrafficItem(edge)
        for name, node in self.graph.nodes.items():
            self.loads[name] = LoadItem(node, replicas.get(name, 1))
        self._edges = [(e, self.traffic[e.key]) for e in series.edges if e.key in self.traffic]
        self._normal = {name: series.normal_tries(name) for name in self.loads}

    def show_at(self, t: float, phase: float) -> None:
        """Show bucket of time ``t``; ``phase`` (0..1) places the moving dots."""
        series = self.series
        if series is None:
            return
        index = series.bucket(t)
        if index != self._bucket:
            self._bucket = index
            self._restyle(series, index)
        for _, item in self._edges:
            if item.width > 0:
                item.phase = phase
                item.update()

    def _restyle(self, series: PhaseSeries, index: int) -> None:
        for edge, item in self._edges:
            rate, share, tries = series.edge_at(edge, index)
            item.set_traffic(rate, share, tries, traffic_width(rate, series.peak_rate))
            item.update()
        for name, item in self.loads.items():
            utilization, queued, ejected = series.service_at(name, index)
            tries = series.tries_per_request(name, index)
            normal = self._normal.get(name, 0.0)
            shown = tries if normal > 0 and tries > TRIES_SHOWN_ABOVE * normal else 0.0
            item.set_load(utilization, queued, ejected, shown)
