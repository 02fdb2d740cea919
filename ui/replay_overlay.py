"""What the replay paints over the graph: traffic on the arrows, load on the nodes.

The overlay's items are children of the graph's own items (``ui.graph_items``), so
they follow a dragged node and vanish with a rebuilt scene; the graph itself is left
as it is. ``ReplayOverlay.show_at`` sets the values of one time bucket and moves the
dots; painting is all it costs per frame (no item is created or removed).
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ui.graph_items import SUBTITLE_PT, EdgeItem, NodeItem, node_font
from ui.graph_view import GraphView
from ui.palette import HIGHLIGHT_COLOUR, heat_colour
from ui.replay_data import TRIES_SHOWN_ABOVE, PhaseSeries

__all__ = [
    "LoadItem",
    "DotsItem",
    "ReplayOverlay",
    "Traffic",
    "TrafficLayer",
    "failure_colour",
    "max_width",
    "traffic_width",
]

MIN_WIDTH, MAX_WIDTH = 2.0, 14.0
"""Pen widths of the thinnest and the busiest arrow (requests/s scale linearly between)."""
MAX_DOTS = 8
FLAT = Qt.PenCapStyle.FlatCap
FEW_ARROWS = 150
"""Up to this many arrows in view are drawn as curves, more as visible segments only."""
SAMPLES = 64
"""Points kept along an arrow's path for placing its dots without ``pointAtPercent``."""
IDLE_COLOUR, IDLE_WIDTH = "#b0bec5", 1.2
"""An arrow without calls in the bucket: a thin grey line."""
DOT_RIM, DOT_FILL = QColor(0, 0, 0, 110), QColor("#ffffff")
HEALTHY, AMBER, RED = QColor("#3d8fd6"), QColor("#f4a300"), QColor("#d32f2f")
PILLS_OVERHANG = 140.0
"""The labels above a node may run this far past its right edge."""
QUEUE_COLOUR, EJECTED_COLOUR, TRIES_COLOUR = "#ef6c00", "#c62828", "#6a1b9a"


def _mix(a: QColor, b: QColor, f: float) -> QColor:
    f = max(0.0, min(1.0, f))
    return QColor(
        *(round(x + (y - x) * f) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))
    )


@functools.lru_cache(maxsize=1024)
def _colour(share: float) -> QColor:
    return failure_colour(share)


def failure_colour(share: float) -> QColor:
    """Blue (no failures) → amber (5 % failed) → red (half or more failed)."""
    if share <= 0.05:
        return _mix(HEALTHY, AMBER, share / 0.05)
    return _mix(AMBER, RED, (share - 0.05) / 0.45)


def max_width(arrows: int) -> float:
    """The widest arrow's pen: thinner in a big graph, where wide strokes would cover it."""
    return max(5.0, min(MAX_WIDTH, MAX_WIDTH * math.sqrt(60 / max(arrows, 1))))


def traffic_width(rate: float, peak: float, widest: float = MAX_WIDTH) -> float:
    """Pen width of an arrow carrying ``rate`` requests/s when the busiest carries ``peak``.

    Linear from ``MIN_WIDTH`` (a trickle) to ``widest`` (the busiest arrow of the run);
    0 (a thin grey line) without traffic.
    """
    if rate <= 0 or peak <= 0:
        return 0.0
    return MIN_WIDTH + (widest - MIN_WIDTH) * min(1.0, rate / peak)


def _distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    """Distance from ``p`` to the segment ``a``-``b``."""
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length = dx * dx + dy * dy
    f = (
        0.0
        if length == 0
        else max(0.0, min(1.0, ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / length))
    )
    return math.hypot(p.x() - a.x() - f * dx, p.y() - a.y() - f * dy)


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


@dataclass
class Traffic:
    """What one arrow shows in the bucket on display."""

    rate: float = 0.0
    """Calls per second."""
    share: float = 0.0
    """Share of the calls that failed."""
    tries: float = 0.0
    """Tries per call (attempts / calls)."""
    width: float = 0.0
    colour: QColor = field(default_factory=lambda: QColor(IDLE_COLOUR))


class _Track:
    """An arrow's path as the layers draw it, sampled for the dots.

    The replay pins its nodes (they cannot be dragged), so a path only changes with
    a rebuilt scene, which makes new tracks.
    """

    __slots__ = ("path", "points", "bounds", "length", "head")

    def __init__(self, edge: EdgeItem) -> None:
        self.path = edge.path()
        self.points = [self.path.pointAtPercent(i / (SAMPLES - 1)) for i in range(SAMPLES)]
        self.length = self.path.length()
        self.bounds = self.path.boundingRect().adjusted(-30, -24, 30, 24)
        end, before = self.points[-1], self.points[-3]
        angle = math.atan2(end.y() - before.y(), end.x() - before.x())
        self.head = QPolygonF(
            [end] + [end - QPointF(math.cos(angle + a) * 9, math.sin(angle + a) * 9)
                     for a in (-0.4, 0.4)]
        )  # fmt: skip


class TrafficLayer(QGraphicsItem):
    """The traffic of every arrow, painted in one go over the (transparent) arrows.

    One item instead of one per arrow, so a thousand arrows cost one Python call;
    arrows outside the exposed area are skipped by a rectangle test. The lines
    change once per bucket and are cached as a picture of the view
    (``DeviceCoordinateCache``); the moving dots are a child item painted each frame.
    """

    def __init__(self, graph: GraphView) -> None:
        super().__init__()
        self.keys = list(graph.edges)
        self.tracks = [_Track(graph.edges[key]) for key in self.keys]
        self.traffic: dict[tuple[str, str], Traffic] = {key: Traffic() for key in self.keys}
        self._bounds = QRectF()
        for track in self.tracks:
            self._bounds = self._bounds.united(track.bounds)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(0.5)  # over the arrows (0), under the nodes (1)
        # Without this flag ``exposedRect`` is the whole layer, not the part to paint.
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        self.samples = np.array(
            [[(p.x(), p.y()) for p in track.points] for track in self.tracks], dtype=float
        ).reshape(len(self.tracks), SAMPLES, 2)
        """The tracks' sampled points, (arrow, sample, x/y)."""
        self.dots = DotsItem(self)
        self._picture = QPixmap()
        self._picture_key: tuple | None = None

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds

    def shape(self) -> QPainterPath:
        return QPainterPath()  # never catches the mouse: clicks reach the nodes

    def arrow_at(self, point: QPointF, slack: float = 6.0) -> tuple[str, str] | None:
        """The arrow passing within ``slack`` (plus half its width) of ``point``, if any."""
        best, best_distance = None, math.inf
        for key, track in zip(self.keys, self.tracks, strict=True):
            if not track.bounds.contains(point):
                continue
            reach = slack + self.traffic[key].width / 2
            for a, b in itertools.pairwise(track.points):
                distance = _distance(point, a, b)
                if distance <= reach and distance < best_distance:
                    best, best_distance = key, distance
        return best

    def restyled(self) -> None:
        """The traffic changed: repaint the lines and recount the dots."""
        self._picture_key = None
        self.update()
        self.dots.recount()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        """Draw the lines from a picture of the view, made again when they change.

        The dots move every frame and the view repaints what lies under them, but the
        lines only change with the bucket, the zoom or the scroll position.
        (Qt's own ``DeviceCoordinateCache`` repaints the layer's full height.)
        """
        if widget is None:  # printing or rendering elsewhere: no picture
            self._paint_lines(painter, option.exposedRect)
            return
        transform = painter.worldTransform()
        ratio = widget.devicePixelRatioF()
        key = (transform, widget.size(), ratio)
        if key != self._picture_key:
            size = widget.size() * ratio
            self._picture = QPixmap(size)
            self._picture.setDevicePixelRatio(ratio)
            self._picture.fill(Qt.GlobalColor.transparent)
            inner = QPainter(self._picture)
            inner.setTransform(transform)
            area = transform.inverted()[0].mapRect(QRectF(widget.rect()))
            self._paint_lines(inner, area)
            inner.end()
            self._picture_key = key
        painter.save()
        painter.resetTransform()
        painter.drawPixmap(0, 0, self._picture)
        painter.restore()

    def _paint_lines(self, painter: QPainter, exposed: QRectF) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        shown = [
            (index, track, self.traffic[key])
            for index, (key, track) in enumerate(zip(self.keys, self.tracks, strict=True))
            if track.bounds.intersects(exposed)
        ]
        if len(shown) > FEW_ARROWS:
            self._paint_segments(painter, exposed, shown)
        else:
            for _, track, traffic in shown:
                pen = QPen(traffic.colour, max(traffic.width, IDLE_WIDTH))
                pen.setCapStyle(FLAT)
                painter.setPen(pen)
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawPath(track.path)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(traffic.colour)
                painter.drawPolygon(track.head)
        if QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform()) >= 0.4:
            painter.setFont(node_font(True, 8))
            for _, track, traffic in shown:
                if traffic.tries > TRIES_SHOWN_ABOVE and exposed.contains(track.points[0]):
                    self._paint_tries(painter, track, traffic)

    def _paint_segments(self, painter: QPainter, exposed: QRectF, shown: list) -> None:
        """Many arrows in view: only their sampled segments that cross ``exposed``.

        Stroking a long curve costs as much however little of it shows, so a big graph
        draws the pieces in view, one ``drawLines`` per pen.
        """
        margin = MAX_WIDTH
        xs, ys = self.samples[:, :, 0], self.samples[:, :, 1]
        x0, x1, y0, y1 = xs[:, :-1], xs[:, 1:], ys[:, :-1], ys[:, 1:]
        crossing = (
            (np.minimum(x0, x1) <= exposed.right() + margin)
            & (np.maximum(x0, x1) >= exposed.left() - margin)
            & (np.minimum(y0, y1) <= exposed.bottom() + margin)
            & (np.maximum(y0, y1) >= exposed.top() - margin)
        )
        pens: dict[tuple, list[QLineF]] = {}
        heads = []
        for index, track, traffic in shown:
            pieces = np.flatnonzero(crossing[index]).tolist()
            if not pieces:
                continue
            points = track.points
            pen = (traffic.colour.rgba(), round(max(traffic.width, IDLE_WIDTH) * 2) / 2)
            pens.setdefault(pen, []).extend(QLineF(points[i], points[i + 1]) for i in pieces)
            if pieces[-1] == SAMPLES - 2:
                heads.append((track.head, traffic.colour))
        for (rgba, width), lines in pens.items():
            pen = QPen(QColor.fromRgba(rgba), width)
            pen.setCapStyle(FLAT)
            painter.setPen(pen)
            painter.drawLines(lines)
        painter.setPen(Qt.PenStyle.NoPen)
        for head, colour in heads:
            painter.setBrush(colour)
            painter.drawPolygon(head)

    def _paint_tries(self, painter: QPainter, track: _Track, traffic: Traffic) -> None:
        tries = traffic.tries
        text = f"×{tries:.1f}" if tries < 9.95 else f"×{tries:.0f}"
        middle = track.points[SAMPLES // 2]
        width = painter.fontMetrics().horizontalAdvance(text) + 10
        _pill(painter, middle - QPointF(width / 2, traffic.width / 2 + 8), text, TRIES_COLOUR)


class DotsItem(QGraphicsItem):
    """The dots running along the busy arrows: more dots, more traffic.

    Their places are computed for all arrows at once with numpy and drawn as round
    points, one call per dot size, so a frame of a thousand arrows stays cheap.
    """

    def __init__(self, layer: TrafficLayer) -> None:
        super().__init__(layer)
        self.layer = layer
        self.phase = 0.0
        """Where the dots are along the arrows (0..1, wraps)."""
        self._samples = layer.samples
        self._groups: list[tuple[int, np.ndarray, np.ndarray]] = []
        """(radius, arrow of each dot, offset of each dot along its arrow)."""
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self.layer.boundingRect()

    def shape(self) -> QPainterPath:
        return QPainterPath()

    def recount(self) -> None:
        """How many dots each arrow gets, and how big, from its traffic."""
        sizes: dict[int, tuple[list[int], list[float]]] = {}
        for index, (key, track) in enumerate(zip(self.layer.keys, self.layer.tracks, strict=True)):
            width = self.layer.traffic[key].width
            if width <= 0:
                continue
            radius = max(2, min(5, round(width / 2.5)))
            room = int(track.length / (4 * radius))  # dots keep apart on a short arrow
            count = max(1, min(MAX_DOTS, room, round(width / MAX_WIDTH * MAX_DOTS)))
            arrows, offsets = sizes.setdefault(radius, ([], []))
            arrows.extend([index] * count)
            offsets.extend(j / count for j in range(count))
        self._groups = [(r, np.array(a), np.array(o)) for r, (a, o) in sizes.items()]
        self.update()

    def positions(self, arrows: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """(x, y) of dots at ``offsets`` (0..1, before the phase) along ``arrows``."""
        at = (self.phase + offsets) % 1.0 * (SAMPLES - 1)
        low = np.minimum(at.astype(int), SAMPLES - 2)
        frac = (at - low)[:, None]
        start = self._samples[arrows, low]
        return start + (self._samples[arrows, low + 1] - start) * frac

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for radius, arrows, offsets in self._groups:
            points = [QPointF(x, y) for x, y in self.positions(arrows, offsets).tolist()]
            for colour, diameter in ((DOT_RIM, 2 * radius + 2), (DOT_FILL, 2 * radius)):
                pen = QPen(colour, diameter)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                painter.setPen(pen)
                painter.drawPoints(points)


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
                colour = _colour(round(share, 3)) if width > 0 else QColor(IDLE_COLOUR)
                traffic[edge.key] = Traffic(rate, share, tried, width, colour)
        self.layer.restyled()
        for name, item in self.loads.items():
            utilization, queued, ejected = series.service_at(name, index)
            tries_now = series.tries_per_request(name, index)
            normal = self._normal.get(name, 0.0)
            shown = tries_now if normal > 0 and tries_now > TRIES_SHOWN_ABOVE * normal else 0.0
            item.set_load(utilization, queued, ejected, shown)
