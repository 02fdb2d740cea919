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
    QPixmap,
    QPolygonF,
    QTransform,
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
    solid: QColor | None = None
    """The node's whole colour below a readable zoom, instead of ``colour`` (colour by
    utilization ρ: the untinted heat colour)."""


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
        if lod < LABEL_MIN_SCALE:
            self._paint_solid(painter, rect, style)
            return
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
        if style.meshed:
            self._paint_badge(painter, style)
        self._paint_text(painter, rect, style)

    def _paint_solid(self, painter: QPainter, rect: QRectF, style: NodeStyle) -> None:
        """Below a readable zoom: one solid rectangle of the node's colour.

        A node is then a few pixels: its phase or ρ colour (dark grey for an entrypoint)
        fills it, where a light fill inside a thin border read as white. A highlighted
        or selected node is ringed.
        """
        if self.highlighted or self.isSelected():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(HIGHLIGHT_COLOUR))
            painter.drawRect(rect.adjusted(-3, -3, 3, 3))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(style.solid or style.colour)
        painter.drawRect(rect)
        if self.group_size:
            painter.drawRect(rect.translated(5, -5))

    def _paint_entry(self, painter: QPainter, rect: QRectF, lod: float) -> None:
        painter.setPen(QPen(QColor("#37474f"), 1.5))
        painter.setBrush(QBrush(QColor("#eceff1")))
        painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
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


class FocusLabel(QGraphicsItem):
    """The name of a focused node at screen size, drawn only below a readable zoom.

    A focused neighbourhood whose services lie far apart is fitted at a zoom where the
    nodes' own names are not drawn; these labels (children of the focused nodes, not
    scaled with the view) keep its names readable there.
    """

    PAD = 2.0

    def __init__(self, node: NodeItem) -> None:
        super().__init__(node)
        self.text = node.name
        self.font = node_font(True, NAME_PT)
        metrics = QFontMetricsF(self.font)
        self.size = QRectF(
            0, 0, metrics.horizontalAdvance(self.text) + 2 * self.PAD, metrics.height()
        )
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setPos(0, node.height)
        self.setZValue(3)

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self.size

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        view = widget.parent() if widget is not None else None
        if view is not None and view.transform().m11() >= LABEL_MIN_SCALE:
            return  # the node draws its own name
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(255, 255, 255, 220))
        painter.drawRect(self.size)
        painter.setPen(QColor("#1b1b1b"))
        painter.setFont(self.font)
        painter.drawText(self.size, Qt.AlignmentFlag.AlignCenter, self.text)


@dataclass(frozen=True)
class EdgeStyle:
    """What a call arrow shows: its mTLS state and the failures of the last run."""

    kind: str = "plaintext"
    failure_rate: float = 0.0


_PENS: dict[EdgeStyle, QPen] = {}
"""One pen per arrow style: thousands of arrows share a handful of styles."""


def _edge_pen(style: EdgeStyle) -> QPen:
    pen = _PENS.get(style)
    if pen is None:
        colours = {"mtls": MTLS_COLOUR, "broken": BROKEN_COLOUR}
        colour = QColor(colours.get(style.kind, PLAINTEXT_COLOUR))
        width = 1.6
        failure = style.failure_rate
        if failure >= 0.005 and style.kind != "broken":
            colour = QColor(FAILURE_COLOUR)
        if failure >= 0.005:
            width += min(4.0, 1.5 + 40 * failure)
        pen = QPen(colour, width)
        pen.setStyle(
            {
                "mtls": Qt.PenStyle.SolidLine,
                "broken": Qt.PenStyle.DashDotLine,
            }.get(style.kind, Qt.PenStyle.DashLine)
        )
        if len(_PENS) > 4096:  # failure rates of many runs: keep the cache bounded
            _PENS.clear()
        _PENS[style] = pen
    return pen


COSMETIC_UP_TO = 2.0
"""Arrows thinner than this on screen (pixels) are drawn 1 px wide by the layer: Qt
strokes hairlines ~40x faster than wider lines (a fanned-out graph zoomed in crosses
the window with thousands of long curves)."""


CACHE_UP_TO = 3000
"""The layer keeps a picture of all its arrows while the whole graph is at most this many
device pixels wide and high (the overview: ~20 MB at most)."""


class EdgeLayer(QGraphicsItem):
    """Every call arrow of a large graph, painted at once.

    Thousands of arrows each painting themselves cost a Python ``paint`` call apiece
    on every repaint (4,600 at the overview of a 1,238-service graph: most of a
    zoom's time). On a large graph the view puts its arrows in one layer instead: each
    arrow stays an item (for clicks, tooltips, selection) but paints nothing, and the
    layer draws them grouped by pen and opacity, one path per group, rebuilt only when
    an arrow changes. A selected arrow paints itself, on top.
    """

    def __init__(self) -> None:
        super().__init__()
        self.edges: list[EdgeItem] = []
        self._bounds = QRectF()
        self._batches: list[tuple[QPen, float, QPainterPath, QPainterPath, list]] | None = None
        self._cached: tuple[tuple, list, QPixmap] | None = None
        """The overview's picture of the layer and what it was drawn for."""
        self.setZValue(0)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # exposedRect

    def add(self, edge: EdgeItem) -> None:
        edge.layer = self
        edge.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, True)
        self.edges.append(edge)
        self.changed()

    def set_bounds(self, rect: QRectF) -> None:
        """Paint within ``rect`` (the view's scene rect: every arrow lies inside it)."""
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = QRectF(rect)

    def changed(self) -> None:
        """An arrow changed (path, style, visibility, opacity): paint again."""
        if self._batches is not None:
            self._batches = self._cached = None
            self.update()

    def selection_changed(self) -> None:
        """Selected arrows paint themselves, highlighted; the others are the layer's."""
        for edge in self.edges:
            edge.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, not edge.isSelected())
        self._batches = self._cached = None
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._bounds

    def shape(self) -> QPainterPath:
        return QPainterPath()  # never under the pointer: clicks go to the arrows

    def _batched(self) -> list[tuple[QPen, float, QPainterPath, QPainterPath, list]]:
        """Per pen and opacity: all its arrows as one path, and each with its bounds."""
        if self._batches is None:
            groups: dict[tuple[float, float, EdgeStyle], tuple] = {}
            for edge in self.edges:
                # the arrow's own copies of its state: thousands of Qt calls saved per build
                opacity = edge.shown_opacity
                if opacity <= 0 or edge.hidden or edge.isSelected():
                    continue
                key = (edge.z, opacity, edge.style)
                group = groups.get(key)
                if group is None:
                    solid = QPen(_edge_pen(edge.style))
                    solid.setStyle(Qt.PenStyle.SolidLine)
                    group = groups[key] = (solid, opacity, QPainterPath(), QPainterPath(), [])
                group[2].addPath(edge.route)
                group[3].addPolygon(edge.head)
                group[4].append((*edge.box, edge.route, edge))
            self._batches = [groups[key] for key in sorted(groups, key=lambda k: k[:2])]
        return self._batches

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        world = painter.worldTransform()
        lod = option.levelOfDetailFromTransform(world)
        bounds = self._bounds
        dpr = painter.device().devicePixelRatioF()
        width, height = bounds.width() * world.m11() * dpr, bounds.height() * world.m22() * dpr
        if world.m12() == 0 and world.m21() == 0 and 0 < max(width, height) <= CACHE_UP_TO:
            # The whole layer fits a modest picture at this zoom (an overview): drawn
            # once per zoom and arrow change, then a pan or a repaint beside it is a blit.
            picture = self._picture(world.m11(), world.m22(), dpr, lod)
            origin = world.map(bounds.topLeft())
            painter.save()
            painter.resetTransform()
            painter.drawPixmap(QPointF(round(origin.x()), round(origin.y())), picture)
            painter.restore()
            return
        # Zoomed in, only the arrows crossing the exposed area are drawn: stroking every
        # curve of the graph (mostly far outside) is what makes a zoomed-in repaint slow.
        shown = option.exposedRect
        whole = shown.width() * shown.height() >= 0.5 * bounds.width() * bounds.height()
        self._draw(painter, lod, None if whole else shown)

    def _picture(self, sx: float, sy: float, dpr: float, lod: float) -> QPixmap:
        batches = self._batched()
        bounds = self._bounds
        key = (sx, sy, dpr, bounds.left(), bounds.top(), bounds.width(), bounds.height())
        cached = self._cached
        if cached is None or cached[0] != key or cached[1] is not batches:
            picture = QPixmap(
                math.ceil(bounds.width() * sx * dpr) + 2, math.ceil(bounds.height() * sy * dpr) + 2
            )
            picture.setDevicePixelRatio(dpr)
            picture.fill(Qt.GlobalColor.transparent)
            painter = QPainter(picture)
            painter.setTransform(QTransform(sx, 0, 0, sy, -bounds.left() * sx, -bounds.top() * sy))
            self._draw(painter, lod, None)
            painter.end()
            self._cached = (key, batches, picture)
        return self._cached[2]

    def _draw(self, painter: QPainter, lod: float, shown: QRectF | None) -> None:
        """Draw the arrows (only those crossing ``shown``, when given)."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod >= LABEL_MIN_SCALE)
        if shown is not None:
            left, top, right, bottom = shown.left(), shown.top(), shown.right(), shown.bottom()
        for pen, opacity, lines, heads, members in self._batched():
            if shown is not None:
                lines, heads = QPainterPath(), QPainterPath()
                for x1, y1, x2, y2, path, edge in members:
                    if x1 <= right and x2 >= left and y1 <= bottom and y2 >= top:
                        lines.addPath(path)
                        heads.addPolygon(edge.head)
                if lines.isEmpty():
                    continue
            painter.setOpacity(opacity)
            if pen.widthF() * lod <= COSMETIC_UP_TO:
                pen = QPen(pen)
                pen.setCosmetic(True)
                pen.setWidthF(1.0)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(lines)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pen.color())
            painter.drawPath(heads)


class EdgeItem(QGraphicsPathItem):
    """An arrow from a caller to a callee; several calls of one pair share an arrow."""

    layer: EdgeLayer | None = None
    """The layer that paints this arrow (large graphs), else it paints itself."""

    def __init__(self, source: NodeItem, target: NodeItem) -> None:
        super().__init__()
        self.source = source
        self.target = target
        self.style: EdgeStyle | None = None
        self.count = 1
        """Calls this arrow stands for (more than 1 between collapsed groups)."""
        self.plain = False
        """Solid lines only (the view sets it on large graphs: dashes paint slowly)."""
        self._head = QPolygonF()
        self._bounds = QRectF()
        source.edges.append(self)
        target.edges.append(self)
        self.setZValue(0)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.set_style(EdgeStyle())
        self.update_path()

    def set_style(self, style: EdgeStyle) -> None:
        if style == self.style:
            return
        self.style = style
        self.setPen(_edge_pen(style))
        if self.layer is not None:
            self.layer.changed()
        else:
            self.update()

    hidden = False
    shown_opacity = 1.0
    z = 0.0
    """Copies of the item's visibility, opacity and z value, read by the layer."""

    def setVisible(self, visible: bool) -> None:  # noqa: N802 - Qt override
        if visible == self.hidden:
            self.hidden = not visible
            super().setVisible(visible)
            if self.layer is not None:
                self.layer.changed()

    def setOpacity(self, opacity: float) -> None:  # noqa: N802 - Qt override
        if opacity != self.shown_opacity:
            self.shown_opacity = opacity
            super().setOpacity(opacity)
            if self.layer is not None:
                self.layer.changed()

    def setZValue(self, z: float) -> None:  # noqa: N802 - Qt override
        if z != self.z:
            self.z = z
            super().setZValue(z)
            if self.layer is not None:
                self.layer.changed()

    @property
    def head(self) -> QPolygonF:
        """The arrowhead at the callee's end."""
        return self._head

    stale = False
    """True while hidden after its nodes moved: the path is out of date."""

    def update_path(self) -> None:
        """Route the arrow from the caller's right edge to the callee's left edge.

        Both ends sit at half the node's height; a callee in the caller's column is
        entered from its right edge. Plain floats, few Qt calls: a relayout re-routes
        thousands of arrows.
        """
        self.stale = False
        source, target = self.source, self.target
        at, to = source.pos(), target.pos()
        ax, tx = at.x(), to.x()
        sx, sy = ax + source.width, at.y() + source.height / 2
        ex, ey = tx, to.y() + target.height / 2
        if abs(ax - tx) < 20:
            # Same column: an arc on the right side, into the callee's right edge.
            ex += target.width
            bulge = 40 + abs(ey - sy) / 5
            c1x, c1y, c2x, c2y = sx + bulge, sy, ex + bulge, ey
        elif ex > sx + 20:
            bend = (ex - sx) / 2
            c1x, c1y, c2x, c2y = sx + bend, sy, ex - bend, ey
        else:
            # Backward call (a cycle or a same-column callee): loop below the nodes.
            drop = max(source.height, 40.0) + abs(ey - sy) / 4
            c1x, c1y, c2x, c2y = sx + 80, sy + drop, ex - 80, ey + drop
        path = QPainterPath(QPointF(sx, sy))
        path.cubicTo(c1x, c1y, c2x, c2y, ex, ey)
        self.route = path
        self.prepareGeometryChange()
        self.setPath(path)
        if self.layer is not None:
            self.layer.changed()
        # the curve ends along its last control point's direction (cheaper than sampling it)
        angle = math.atan2(ey - c2y, ex - c2x)
        h1x, h1y = ex - math.cos(angle - 0.4) * 9.0, ey - math.sin(angle - 0.4) * 9.0
        h2x, h2y = ex - math.cos(angle + 0.4) * 9.0, ey - math.sin(angle + 0.4) * 9.0
        self._head = QPolygonF([QPointF(ex, ey), QPointF(h1x, h1y), QPointF(h2x, h2y)])
        xs, ys = (sx, c1x, c2x, ex, h1x, h2x), (sy, c1y, c2y, ey, h1y, h2y)
        left, top, right, bottom = min(xs) - 7, min(ys) - 7, max(xs) + 7, max(ys) + 7
        self.box = (left, top, right, bottom)
        self._bounds = QRectF(left, top, right - left, bottom - top)

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
