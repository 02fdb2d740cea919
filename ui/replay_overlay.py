"""What the replay paints over the graph: traffic on the arrows, load on the nodes.

``ReplayOverlay`` puts a ``TrafficLayer`` (``ui.replay_traffic``) over the graph's
arrows and a ``LoadItem`` on each node (a child of the node item, so it goes with a
rebuilt scene); the graph itself is left as it is. ``show_at`` sets the values of one
time bucket and moves the dots; painting is all a frame costs (no item is created or
removed).
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ui.graph_items import SUBTITLE_PT, NodeItem, node_font
from ui.graph_view import GraphView
from ui.palette import HIGHLIGHT_COLOUR, heat_colour
from ui.replay_data import TRIES_SHOWN_ABOVE, PhaseSeries
from ui.replay_traffic import (
    IDLE_COLOUR,
    TRIES_COLOUR,
    Traffic,
    TrafficLayer,
    colour_of,
    max_width,
    pill,
    traffic_width,
)

__all__ = ["EJECTED_COLOUR", "QUEUE_COLOUR", "LoadItem", "ReplayOverlay"]

PILLS_OVERHANG = 140.0
"""The labels above a node may run this far past its right edge."""
QUEUE_COLOUR, EJECTED_COLOUR = "#ef6c00", "#c62828"


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
        values = (utilization, queued, ejected, amplification)
        if values != (self.utilization, self.queued, self.ejected, self.amplification):
            self.utilization, self.queued, self.ejected, self.amplification = values
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return QRectF(-8, -20, self.node.width + PILLS_OVERHANG, self.node.height + 28)

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width, height = self.node.width, self.node.height
        if self.node.highlighted:  # a lesson points here: a ring that cannot be missed
            painter.setPen(QPen(QColor(HIGHLIGHT_COLOUR), 3.5))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(QRectF(-5, -5, width + 10, height + 10), 11, 11)
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
        if taken + painter.fontMetrics().horizontalAdvance(text) <= width - 6:
            painter.setPen(QColor("#263238"))
            painter.drawText(
                QRectF(0, height / 2 - 2, width - 6, height / 2 - 8),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                text,
            )
        left = QPointF(0, -10)
        if self.queued >= 0.5:
            left.setX(left.x() + pill(painter, left, f"queue {self.queued:.0f}", QUEUE_COLOUR) + 3)
        if self.ejected >= 0.5:
            text = f"{self.ejected:.0f}/{self.replicas} ejected"
            left.setX(left.x() + pill(painter, left, text, EJECTED_COLOUR) + 3)
        if self.amplification > 0:
            pill(painter, left, f"{self.amplification:.0f} tries/req", TRIES_COLOUR)


class ReplayOverlay:
    """The replay's items on a ``GraphView``; made again when its scene is rebuilt.

    While attached, the graph's own arrows are transparent (Qt then neither paints nor
    hit-tests them): the traffic layer draws every arrow and finds the one under the
    mouse (``arrow_at``).
    """

    def __init__(self, graph: GraphView) -> None:
        self.graph = graph
        self.layer: TrafficLayer | None = None
        self.loads: dict[str, LoadItem] = {}
        self.series: PhaseSeries | None = None
        self._bucket = -1
        self._normal: dict[str, float] = {}

    def traffic(self, key: tuple[str, str]) -> Traffic | None:
        """What the arrow ``key`` ((caller, callee); an entrypoint as ``@name``) shows."""
        return self.layer.traffic.get(key) if self.layer is not None else None

    def attach(
        self, series: PhaseSeries | None, replicas: dict[str, int], *, rebuilt: bool
    ) -> None:
        """Make the items for the graph's scene and ``series`` (None: only remove them).

        ``rebuilt``: the graph rebuilt its scene since the last call, which deleted
        the old items with it.
        """
        if not rebuilt:
            for item in [self.layer, *self.loads.values()]:
                if item is not None:
                    item.setParentItem(None)
                    self.graph.scene().removeItem(item)
        self.layer, self.loads = None, {}
        self.series, self._bucket = series, -1
        for edge in self.graph.edges.values():
            edge.setOpacity(0.0 if series is not None else 1.0)
        for node in [*self.graph.nodes.values(), *self.graph.entries.values()]:
            node.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable, series is None)
        if series is None:
            return
        self.layer = TrafficLayer(self.graph)
        self.graph.scene().addItem(self.layer)
        for name, node in self.graph.nodes.items():
            self.loads[name] = LoadItem(node, replicas.get(name, 1))
        self._normal = {name: series.normal_tries(name) for name in self.loads}
        self._max_width = max_width(len(self.graph.edges))

    def show_at(self, t: float, dots: float) -> None:
        """Show the bucket of time ``t``; ``dots`` (0..1) places the moving dots."""
        series, layer = self.series, self.layer
        if series is None or layer is None:
            return
        index = series.bucket(t)
        if index != self._bucket:
            self._bucket = index
            self._restyle(series, index)
        if dots != layer.dots.phase:
            layer.dots.phase = dots
            layer.dots.update()

    def _restyle(self, series: PhaseSeries, index: int) -> None:
        traffic = self.layer.traffic
        rates, shares, tries = series.edges_at(index)
        peak = series.peak_rate
        for edge, rate, share, tried in zip(
            series.edges, rates.tolist(), shares.tolist(), tries.tolist(), strict=True
        ):
            if edge.key in traffic:
                width = traffic_width(rate, peak, self._max_width)
                colour = colour_of(round(share, 3)) if width > 0 else QColor(IDLE_COLOUR)
                traffic[edge.key] = Traffic(rate, share, tried, width, colour)
        self.layer.restyled()
        for name, item in self.loads.items():
            utilization, queued, ejected = series.service_at(name, index)
            tries_now = series.tries_per_request(name, index)
            normal = self._normal.get(name, 0.0)
            shown = tries_now if normal > 0 and tries_now > TRIES_SHOWN_ABOVE * normal else 0.0
            item.set_load(utilization, queued, ejected, shown)
