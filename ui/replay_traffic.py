"""The traffic of the replay's arrows: one layer for all arrows, and their moving dots.

``TrafficLayer`` paints every arrow of a ``GraphView`` in one item (its width from the
calls per second, its colour from the failed share, a ×N label for tries per call);
``DotsItem``, its child, moves the dots each frame. Split from ``ui.replay_overlay``,
which decides what each arrow shows in a time bucket.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from ui.graph_items import EdgeItem, node_font
from ui.graph_view import GraphView
from ui.replay_data import TRIES_SHOWN_ABOVE

__all__ = [
    "AMBER",
    "HEALTHY",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "RED",
    "TRIES_COLOUR",
    "DotsItem",
    "Traffic",
    "TrafficLayer",
    "failure_colour",
    "max_width",
    "pill",
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
TRIES_COLOUR = "#6a1b9a"


def _mix(a: QColor, b: QColor, f: float) -> QColor:
    f = max(0.0, min(1.0, f))
    return QColor(
        *(round(x + (y - x) * f) for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))
    )


@functools.lru_cache(maxsize=1024)
def colour_of(share: float) -> QColor:
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


def pill(painter: QPainter, left: QPointF, text: str, colour: str) -> float:
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
        pill(painter, middle - QPointF(width / 2, traffic.width / 2 + 8), text, TRIES_COLOUR)


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
