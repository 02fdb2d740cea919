"""GraphView: the service graph of the scenario, drawn for the phase on display.

Nodes are laid out in columns by call depth with the entrypoints on the left. The
scene is rebuilt only when the graph's structure changes (services, calls,
entrypoints); a phase change, an edit of a setting or new results only restyle the
existing items, so large graphs stay smooth.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QTransform, QWheelEvent
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QLabel, QMenu, QStyle, QWidget

from meshsim import phase_state
from models import Scenario
from models.results import PhaseResult
from ui.backend import utilizations
from ui.edits import joining_phase
from ui.graph_groups import (
    GROUP_PREFIX,
    aggregate,
    groups_of,
    members,
    neighbourhood,
    unit_of,
)
from ui.graph_items import (
    LABEL_MIN_SCALE,
    NODE_H,
    EdgeItem,
    EdgeLayer,
    EdgeStyle,
    FocusLabel,
    NodeItem,
    NodeStyle,
    tint,
)
from ui.layout import layered_positions, layered_units, wrapped
from ui.palette import heat_colour, phase_colour
from ui.session import Session
from ui.tooltips import edge_tooltip, entry_tooltip, node_tooltip

COLUMN_GAP, ROW_GAP = 40.0, 28.0
FIT_MARGIN = 10.0
"""Scene pixels kept around the graph when it is fitted into the view."""
MIN_READABLE_SCALE = 0.7
"""Fitting never zooms out further: node names (9 pt) stay at least ~8 px high. A graph
too big for the view at this zoom (hundreds of services) is shown from its left edge,
level with the entrypoints, and panned by dragging the background or the scroll bars."""
MAX_FIT_SCALE = 1.5
"""Fitting a small graph never blows it up beyond this."""
OVERVIEW_ABOVE = 300
"""Larger graphs open fitted whole (an overview), not at a readable zoom from the left."""
PLAIN_ARROWS_ABOVE = 1000
"""Graphs with more arrows draw them solid (colour tells mTLS from plaintext): dashed
curves are what makes painting a 4,000-arrow graph slow."""
LAZY_TOOLTIPS_ABOVE = 300
"""Graphs with more services write their tooltips only when one is shown."""
FOCUS_MARGIN = 40.0
"""Scene pixels kept around a focused neighbourhood when the view is fitted to it."""
FOCUS_MIN_SCALE = 0.08
"""A focused neighbourhood is fitted down to this zoom (about the overview of a 1,200-
service graph): its services can lie thousands of pixels apart (a neighbour 4,000 px to
the right and 3,000 px down on the production graph), and below a readable zoom their
names are drawn at screen size (:class:`FocusLabel`). A neighbourhood bigger still is
shown at a readable zoom around the focused service."""
FOCUS_LABELS_UP_TO = 40
"""Focused neighbourhoods of up to this many nodes get screen-size name labels (a
bigger one: only the focused service)."""
DIMMED = 0.12
"""Opacity of what lies outside the focused neighbourhood."""
COLOUR_MODES = ("phase", "utilization")
"""Node colours: the rollout phase a service joins in, or its utilization ρ."""


def _structure(scenario: Scenario) -> tuple:
    calls = tuple(
        (s.name, tuple(dict.fromkeys(c.to for c in s.iter_calls()))) for s in scenario.services
    )
    entries = tuple((e.name, e.service) for e in scenario.entrypoints)
    return calls, entries


def _laid_out(
    nodes: dict[str, NodeItem], positions: dict[str, tuple[float, float]]
) -> dict[str, tuple[NodeItem, QPointF]]:
    """Each node with its default place; a column is as wide as its widest name needs."""
    widths: dict[float, float] = {}
    for key, node in nodes.items():
        column = positions[key][0]
        widths[column] = max(widths.get(column, 0.0), node.width)
    lefts, left = {}, 0.0
    for column in sorted(widths):
        lefts[column], left = left, left + widths[column] + COLUMN_GAP
    placed = {}
    for key, node in nodes.items():
        column, row = positions[key]
        place = QPointF(lefts[column], row * (NODE_H + ROW_GAP))
        if node.entry:
            # Entrypoints sit right-aligned in their column, facing their service.
            place += QPointF(widths[column] - node.width, (NODE_H - node.height) / 2)
        else:
            node.set_width(widths[column])
        placed[key] = (node, place)
    return placed


class GraphView(QGraphicsView):
    """The scenario's call graph; click a node or an arrow to select it."""

    service_clicked = Signal(str)
    call_clicked = Signal(str, str)
    entrypoint_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphView")
        self.setScene(QGraphicsScene(self))
        # no BSP index: moving thousands of items (collapsing a group) re-indexed each
        # at ~1 ms; a linear scan of a few thousand items per paint is cheaper
        self.scene().setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setBackgroundBrush(QColor("#fafafa"))
        self.scene().selectionChanged.connect(self._on_scene_selection_changed)
        self.nodes: dict[str, NodeItem] = {}
        self.entries: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        self.layer: EdgeLayer | None = None
        """On large graphs, the one item that paints every call arrow (see EdgeLayer)."""
        self._styled_for: tuple | None = None
        """What the items were last styled for: a repeated restyle is skipped."""
        self._scenario: Scenario | None = None
        self._structure: tuple | None = None
        self._phase = 0
        self._results: list[PhaseResult] = []
        self._syncing = False
        self._auto_fit = True
        """Re-fit on resize until the user zooms or pans."""
        self._press_scroll: tuple[int, int] | None = None
        self._session: Session | None = None
        self.grouping = "none"
        self.group_of: dict[str, str] = {}
        self.collapsed: set[str] = set()
        self.groups: dict[str, NodeItem] = {}
        """Collapsed group nodes by group name."""
        self.group_edges: dict[tuple[str, str], EdgeItem] = {}
        """Aggregated arrows between visible nodes, by their keys (``#group``, name, ``@entry``)."""
        self.focused: set[str] | None = None
        """Keys of the focused neighbourhood (None: nothing dimmed)."""
        self.focus_name: str | None = None
        """The service the focus is on (None: no focus)."""
        self.focus_hops = 1
        self.focus_labels: list[FocusLabel] = []
        """Screen-size names of the focused nodes (drawn below a readable zoom)."""
        self.colour_by = "phase"
        self.rho_subtitles = True  # "ρ 0.42" under a name until a run measures the load
        self.rho: dict[str, float] = {}
        """Utilization ρ of every service at the entry rates (SPEC §18), before any run."""
        self._base: dict[str, tuple[float, float]] = {}
        self._rho_of: Scenario | None = None
        self.empty_label = QLabel("Open a scenario or a sample (File menu) to see its graph.", self)
        self.empty_label.setStyleSheet("color: #607d8b; font-size: 14px;")
        self.empty_label.adjustSize()

    # --- public API -------------------------------------------------------------------

    @property
    def phase(self) -> int:
        return self._phase

    @property
    def auto_fit(self) -> bool:
        """True while the view keeps the graph fitted (until the user zooms or pans)."""
        return self._auto_fit

    def set_scenario(self, scenario: Scenario | None) -> None:
        """Show ``scenario``; keeps node positions when only settings changed."""
        self._scenario = scenario
        self.empty_label.setVisible(scenario is None)
        if scenario is None:
            self.scene().clear()
            self.focus_labels = []  # deleted with their nodes
            self.nodes, self.entries, self.edges = {}, {}, {}
            self.groups, self.group_edges, self.focused = {}, {}, None
            self.focus_name = None
            self.layer, self._styled_for = None, None
            self._structure = None
            return
        self._phase = min(self._phase, len(scenario.rollout.phases))
        structure = _structure(scenario)
        if structure != self._structure:
            first = self._structure is None or set(self.nodes) != {
                s.name for s in scenario.services
            }
            self._rebuild(scenario)
            self._structure = structure
            if first or self._auto_fit:
                self.fit()
        elif self.grouping != "none":
            # the same calls, but a service may have moved to another namespace or cluster
            group_of = groups_of(scenario, self.grouping)
            if group_of != self.group_of:
                self.group_of = group_of
                self.collapsed &= set(group_of.values())
                self._apply_groups()
        self._restyle()

    def follow(self, session: Session) -> None:
        """From now on draw the session's plan on display, its phase and its results."""
        self._session = session
        session.display_changed.connect(self._on_session_display_changed)
        session.scenario_replaced.connect(self._on_session_scenario_replaced)
        session.phase_changed.connect(self._on_session_phase_changed)
        session.results_changed.connect(self._on_session_results_changed)
        session.plan_changed.connect(self._on_session_plan_changed)
        session.service_selected.connect(self.highlight_service)

    def set_phase(self, index: int) -> None:
        """Draw the state after phase ``index`` (0: baseline)."""
        self._phase = index
        self._restyle()

    def set_results(self, phases: Sequence[PhaseResult] | None) -> None:
        """Use measured metrics of the last run (baseline first); None clears them."""
        phases = list(phases or [])
        if not phases and not self._results:
            return  # nothing shown, nothing to show: a 1,000-node restyle saved
        self._results = phases
        self._restyle()

    def highlight_service(self, name: str | None) -> None:
        """Mark ``name`` (None: nothing) and bring it into view."""
        for node_name, node in self.nodes.items():
            node.set_highlighted(node_name == name)
        if name in self.nodes and self.nodes[name].isVisible():
            shown = self.mapToScene(self.viewport().rect()).boundingRect()
            if not shown.contains(self.nodes[name].sceneBoundingRect()):
                # only when out of sight: a fitted focus keeps its neighbourhood in view
                self.ensureVisible(self.nodes[name], 60, 60)

    def fit(self) -> None:
        """Zoom so the graph fills the view, between a readable and a maximum zoom.

        The view keeps the graph fitted when it is resized, until the user zooms or
        pans. A graph too big to be readable in full is shown from its left edge, level
        with its entrypoints.
        """
        self._auto_fit = True
        rect = self._update_scene_rect()
        if rect.isEmpty():
            return
        # Two pixels of slack so that a fitted graph never needs scroll bars.
        width, height = self.viewport().width() - 2, self.viewport().height() - 2
        scale = min(width / rect.width(), height / rect.height())
        shown = sum(n.isVisible() for n in self.nodes.values()) + len(self.groups)
        if shown <= OVERVIEW_ABOVE:
            scale = max(MIN_READABLE_SCALE, scale)
        # else the whole graph, names hidden until zoomed in: an overview to search in
        scale = min(MAX_FIT_SCALE, scale)
        self.setTransform(QTransform.fromScale(scale, scale))
        centre = rect.center()
        if rect.width() * scale > width:
            centre.setX(rect.left() + width / scale / 2)
        if rect.height() * scale > height and self.entries:
            # Too tall as well: start where the traffic comes in.
            ys = [node.sceneBoundingRect().center().y() for node in self.entries.values()]
            centre.setY(sum(ys) / len(ys))
        self.centerOn(centre)

    def fit_all(self) -> None:
        """Show the whole graph, however small (names hide below a readable zoom)."""
        rect = self._update_scene_rect()
        if rect.isEmpty():
            return
        self._auto_fit = False
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > MAX_FIT_SCALE:
            self.setTransform(QTransform.fromScale(MAX_FIT_SCALE, MAX_FIT_SCALE))
            self.centerOn(rect.center())

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.05 <= scale <= 4.0:
            self._auto_fit = False
            self.scale(factor, factor)

    def relayout(self) -> None:
        """Forget dragged positions and lay the graph out again."""
        if self._scenario is not None:
            self._rebuild(self._scenario)
            self._restyle()
            self.fit()

    # --- building ---------------------------------------------------------------------

    def _rebuild(self, scenario: Scenario) -> None:
        old = {name: node.pos() for name, node in self.nodes.items()}
        old.update({"@" + name: node.pos() for name, node in self.entries.items()})
        if self.groups:
            old = {}  # a layout of collapsed groups: start again from the full one
        self._syncing = True
        self.scene().clear()
        self._syncing = False
        self.focus_labels = []  # deleted with their nodes
        self.nodes, self.entries, self.edges = {}, {}, {}
        self.groups, self.group_edges, self.focused = {}, {}, None
        self.focus_name = None
        self.layer = None
        self._styled_for = None
        self._base = positions = wrapped(layered_positions(scenario))
        made = {key: NodeItem(key.removeprefix("@"), entry=key[0] == "@") for key in positions}
        NodeItem.deferred = True
        try:
            for key, (node, default) in _laid_out(made, positions).items():
                node.setPos(old.get(key, default))
                self.scene().addItem(node)
                (self.entries if node.entry else self.nodes)[node.name] = node
        finally:
            NodeItem.deferred = False
        for service in scenario.services:
            for callee in dict.fromkeys(c.to for c in service.iter_calls()):
                self._add_edge(service.name, self.nodes[service.name], callee)
        for entry in scenario.entrypoints:
            self._add_edge("@" + entry.name, self.entries[entry.name], entry.service)
        if len(self.edges) > PLAIN_ARROWS_ABOVE:
            self.layer = EdgeLayer()
            self.scene().addItem(self.layer)
            for edge in self.edges.values():
                edge.plain = True
                self.layer.add(edge)
        self.group_of = groups_of(scenario, self.grouping)
        self.collapsed &= set(self.group_of.values())
        if self.collapsed:
            self._apply_groups()
        self._update_scene_rect()

    # --- groups and focus -------------------------------------------------------------

    def set_grouping(self, key: str) -> None:
        """Group services by ``key`` (see ``ui.graph_groups.GROUPINGS``); all expanded.

        The view then fits the graph again, as *Fit graph* does.
        """
        self.grouping = key
        self.group_of = groups_of(self._scenario, key) if self._scenario is not None else {}
        if self.collapsed or self.groups:
            self.collapsed = set()
            self._apply_groups()
        self.fit()

    def group_names(self) -> list[str]:
        """The groups of the current grouping, sorted."""
        return sorted(set(self.group_of.values()))

    def collapse(self, *groups: str) -> None:
        """Draw each of ``groups`` as one node with aggregated arrows."""
        self._set_collapsed(self.collapsed | (set(groups) & set(self.group_of.values())))

    def expand(self, *groups: str) -> None:
        """Show the services of ``groups`` again."""
        self._set_collapsed(self.collapsed - set(groups))

    def collapse_all(self) -> None:
        """Collapse every group, then fit the graph (the layout changed everywhere)."""
        self._set_collapsed(set(self.group_of.values()))
        self.fit()

    def expand_all(self) -> None:
        """Expand every group, then fit the graph (the full layout is back)."""
        self._set_collapsed(set())
        self.fit()

    def _set_collapsed(self, collapsed: set[str]) -> None:
        if collapsed != self.collapsed:
            self.collapsed = collapsed
            self._apply_groups()

    def visible_key(self, key: str) -> str:
        """The key of the node ``key`` (a service or ``@entry``) is drawn as now."""
        return unit_of(key, self.group_of, self.collapsed)

    def item_of(self, key: str) -> NodeItem:
        """The node of ``key``: ``#group``, ``@entry`` or a service name."""
        if key.startswith(GROUP_PREFIX):
            return self.groups[key[1:]]
        if key.startswith("@"):
            return self.entries[key[1:]]
        return self.nodes[key]

    def shown_arrows(self) -> dict[tuple[str, str], EdgeItem]:
        """The arrows on display by their ends' keys: calls and aggregated calls."""
        out = {k: e for k, e in self.edges.items() if e.isVisible()}
        out.update(self.group_edges)
        return out

    def _apply_groups(self) -> None:
        """Hide the members of collapsed groups, draw their group nodes, lay out again."""
        scene = self.scene()
        for edge in self.group_edges.values():
            for node in (edge.source, edge.target):
                if edge in node.edges:
                    node.edges.remove(edge)
            scene.removeItem(edge)
        for node in self.groups.values():
            scene.removeItem(node)
        self.groups, self.group_edges = {}, {}
        hidden = {n for n, g in self.group_of.items() if g in self.collapsed}
        for name, node in self.nodes.items():
            node.setVisible(name not in hidden)
        for (a, b), edge in self.edges.items():
            edge.setVisible(a not in hidden and b not in hidden)
        sizes = {g: len(m) for g, m in members(self.group_of).items()}
        for group in sorted(self.collapsed):
            node = NodeItem(group)
            node.group_size = sizes[group]
            scene.addItem(node)
            self.groups[group] = node
        arrows = aggregate(self.edges, self.group_of, self.collapsed)
        for (a, b), count in arrows.items():
            if a.startswith(GROUP_PREFIX) or b.startswith(GROUP_PREFIX):
                edge = EdgeItem(self.item_of(a), self.item_of(b))
                edge.count = count
                scene.addItem(edge)
                self.group_edges[(a, b)] = edge
        if self.collapsed:
            positions = wrapped(layered_units({self.visible_key(k) for k in self._base}, arrows))
        else:
            positions = self._base
        self._place(positions)
        if self._scenario is not None:
            self._style_groups(self._scenario)
        if self._auto_fit:
            self.fit()
        self.focused = self.focus_name = None
        self._apply_focus()
        self._update_scene_rect()

    def _place(self, positions: dict[str, tuple[float, float]]) -> None:
        """Move the nodes of ``positions``; re-route each arrow of a moved node once."""
        made = {key: self.item_of(key) for key in positions}
        before = {key: (node.pos(), node.width) for key, node in made.items()}
        moved: list[NodeItem] = []
        NodeItem.deferred = True
        try:
            for key, (node, place) in _laid_out(made, positions).items():
                if before[key] != (place, node.width):
                    node.setPos(place)
                    moved.append(node)
        finally:
            NodeItem.deferred = False
        for edge in {edge for node in moved for edge in node.edges}:
            if edge.isVisible():
                edge.update_path()
            else:
                edge.stale = True  # re-routed when it shows again
        for edge in self.edges.values():
            if edge.stale and edge.isVisible():
                edge.update_path()

    def focus(self, name: str, hops: int = 1) -> set[str]:
        """Dim everything farther than ``hops`` calls from ``name``; returns the keys kept.

        A service inside a collapsed group is shown first (its group expands). The view
        then shows the neighbourhood (:meth:`fit_focus`).
        """
        group = self.group_of.get(name)
        if group in self.collapsed:
            self.expand(group)
        self.focus_name, self.focus_hops = name, hops
        self.focused = neighbourhood(self.shown_arrows(), name, hops)
        self._apply_focus()
        self.fit_focus()
        return set(self.focused)

    def focus_rect(self) -> QRectF:
        """The scene rect of the focused (undimmed) nodes; empty without a focus."""
        rect = QRectF()
        for key in self.focused or ():
            rect = rect.united(self.item_of(key).sceneBoundingRect())
        return rect

    def fit_focus(self) -> None:
        """Fit the view to the focused nodes, with a margin, at most at ``MAX_FIT_SCALE``.

        Below a readable zoom the focused nodes carry their names at screen size. A
        neighbourhood too big to be seen even at ``FOCUS_MIN_SCALE`` is shown at a
        readable zoom around the focused service, moved towards the middle of its
        neighbours as far as the service stays in view.
        """
        if not self.focused or self.focus_name is None:
            return
        self._auto_fit = False
        rect = self.focus_rect().adjusted(-FOCUS_MARGIN, -FOCUS_MARGIN, FOCUS_MARGIN, FOCUS_MARGIN)
        width, height = self._viewport_at(rect)
        scale = min(MAX_FIT_SCALE, width / rect.width(), height / rect.height())
        centre = rect.center()
        if scale < LABEL_MIN_SCALE and self.focus_labels:
            # room for the screen-size names under and beside the nodes at the edge
            room_w = max(label.size.width() for label in self.focus_labels)
            room_h = max(label.size.height() for label in self.focus_labels)
            scale = min((width - room_w) / rect.width(), (height - room_h) / rect.height())
            centre += QPointF(room_w, room_h) / (2 * scale)
        if scale >= FOCUS_MIN_SCALE:
            self.setTransform(QTransform.fromScale(scale, scale))
            self._lay_out_scroll_bars()
            self.centerOn(centre)
            return
        scale = MIN_READABLE_SCALE
        self.setTransform(QTransform.fromScale(scale, scale))
        self._lay_out_scroll_bars()
        own = self.item_of(self.visible_key(self.focus_name)).sceneBoundingRect()
        own = own.adjusted(-FOCUS_MARGIN, -FOCUS_MARGIN, FOCUS_MARGIN, FOCUS_MARGIN)
        centres = [self.item_of(k).sceneBoundingRect().center() for k in self.focused]
        target = QPointF(
            sum(c.x() for c in centres) / len(centres), sum(c.y() for c in centres) / len(centres)
        )
        half_w, half_h = width / scale / 2, height / scale / 2

        def clamp(value: float, low: float, high: float, middle: float) -> float:
            # keep the service's box inside the window (centred when wider than it)
            return middle if low > high else max(low, min(high, value))

        self.centerOn(
            QPointF(
                clamp(target.x(), own.right() - half_w, own.left() + half_w, own.center().x()),
                clamp(target.y(), own.bottom() - half_h, own.top() + half_h, own.center().y()),
            )
        )

    def _viewport_at(self, rect: QRectF) -> tuple[float, float]:
        """The viewport's size (less 2 px of slack) once ``rect`` is fitted into it.

        The scroll bars the whole scene then needs take their room from it.
        """
        full = self.maximumViewportSize()
        bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        scene = self.sceneRect()
        width, height = full.width() - 2.0, full.height() - 2.0
        for _ in range(2):  # a bar narrows the view, which may call for the other bar
            scale = min(MAX_FIT_SCALE, width / rect.width(), height / rect.height())
            needs_v = scene.height() * scale > full.height()
            needs_h = scene.width() * scale > full.width() - (bar if needs_v else 0)
            width = full.width() - 2.0 - (bar if needs_v else 0)
            height = full.height() - 2.0 - (bar if needs_h else 0)
        return width, height

    def _lay_out_scroll_bars(self) -> None:
        """Show or hide the scroll bars a new zoom calls for now, not later.

        Qt does it in a queued call; centring before they take their room leaves the
        view off centre by half a bar.
        """
        QCoreApplication.sendPostedEvents(self, QEvent.Type.MetaCall)

    def clear_focus(self) -> None:
        self.focused = self.focus_name = None
        self._apply_focus()

    def _apply_focus(self) -> None:
        keep = self.focused
        for label in self.focus_labels:
            if label.scene() is not None:  # not removed with a collapsed group's node
                self.scene().removeItem(label)
        self.focus_labels = []
        if keep is not None:
            # a big neighbourhood's names would cover each other: then only the service's
            named = sorted(keep) if len(keep) <= FOCUS_LABELS_UP_TO else [self.focus_name]
            self.focus_labels = [FocusLabel(self.item_of(k)) for k in named if k in keep]
        for key in self._base:
            if self.visible_key(key) == key:
                self.item_of(key).setOpacity(1.0 if keep is None or key in keep else DIMMED)
        for group, node in self.groups.items():
            key = GROUP_PREFIX + group
            node.setOpacity(1.0 if keep is None or key in keep else DIMMED)
        for (a, b), edge in self.shown_arrows().items():
            near = keep is None or (a in keep and b in keep)
            # arrows of the rest fade further than nodes: thousands of them would veil it
            edge.setOpacity(1.0 if near else DIMMED / 4)
            edge.setZValue(0.5 if near and keep is not None else 0)

    def set_colour_by(self, mode: str) -> None:
        """Colour nodes by ``"phase"`` (when they join the mesh) or ``"utilization"`` (ρ)."""
        if mode not in COLOUR_MODES:
            raise ValueError(f"colour mode {mode!r} is not one of {COLOUR_MODES}")
        self.colour_by = mode
        self._restyle()

    def _tip(self, item, make, *args) -> None:
        """Set ``item``'s tooltip to ``make(*args)``: now for small graphs, else when shown.

        Tooltips of a 1,000-service graph take most of a restyle; the view writes each
        one when the pointer rests on its item (``viewportEvent``).
        """
        if len(self.nodes) <= LAZY_TOOLTIPS_ABOVE:
            item.setToolTip(make(*args))
        else:
            item.tip_source = (make, args)

    def viewportEvent(self, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.ToolTip:
            item = self.itemAt(event.pos())
            source = getattr(item, "tip_source", None)
            if source is not None:
                item.setToolTip(source[0](*source[1]))
                item.tip_source = None
        return super().viewportEvent(event)

    def _update_scene_rect(self) -> QRectF:
        """Scroll only as far as the graph goes (plus a margin); returns that rect."""
        rect = QRectF()
        shown = [n for n in (*self.nodes.values(), *self.entries.values()) if n.isVisible()]
        if shown:
            # nodes only: asking each of thousands of arrows for its bounds takes long;
            # and the arrows that loop beside or below them (calls back up or sideways)
            for node in (*shown, *self.groups.values()):
                rect = rect.united(node.sceneBoundingRect())
            for edge in (*self.edges.values(), *self.group_edges.values()):
                if edge.target.x() <= edge.source.x() + 20 and edge.isVisible():
                    rect = rect.united(edge.sceneBoundingRect())  # loops beside or below
        if not rect.isEmpty():
            rect.adjust(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
            self.setSceneRect(rect)
            if self.layer is not None:
                self.layer.set_bounds(rect)
        return rect

    def _add_edge(self, key: str, source: NodeItem, callee: str) -> None:
        if callee in self.nodes:
            edge = EdgeItem(source, self.nodes[callee])
            self.scene().addItem(edge)
            self.edges[(key, callee)] = edge

    # --- styling ----------------------------------------------------------------------

    def _phase_result(self) -> PhaseResult | None:
        if self._scenario is None or self._phase >= len(self._results):
            return None
        result = self._results[self._phase]
        names = ["baseline"] + [p.name for p in self._scenario.rollout.phases]
        return result if result.name == names[self._phase] else None

    def _restyle(self) -> None:
        scenario = self._scenario
        if scenario is None:
            return
        styled_for = (scenario, self._phase, self._results, self.colour_by, self.rho_subtitles)
        last = self._styled_for
        if last is not None and all(a is b for a, b in zip(last, styled_for, strict=True)):
            return  # the same scenario object, phase and results: nothing to change
        self._styled_for = styled_for
        state = phase_state(scenario, self._phase)
        joins = joining_phase(scenario)
        measured = self._phase_result()
        if self._rho_of is not scenario:
            self.rho, self._rho_of = utilizations(scenario), scenario
        by_rho = self.colour_by == "utilization"
        for service in scenario.services:
            node = self.nodes[service.name]
            metrics = measured.services.get(service.name) if measured else None
            meshed = service.name in state.meshed
            rho = self.rho[service.name]
            subtitle = f"{service.replicas}× {service.protocol}"
            if metrics is not None:
                subtitle += f" · {metrics.utilization:.0%} busy"
            elif self.rho_subtitles:
                subtitle += f" · ρ {rho:.2f}"
            if service.sensitive:
                subtitle += " · sensitive"
            node.set_style(
                NodeStyle(
                    colour=phase_colour(joins.get(service.name)),
                    meshed=meshed,
                    onboarded=service.name in state.onboarded,
                    subtitle=subtitle,
                    heat=metrics.utilization if metrics is not None else None,
                    strict=meshed and service.name in state.strict,
                    fill=tint(heat_colour(rho), 0.75) if by_rho else None,
                    solid=heat_colour(rho) if by_rho else None,
                )
            )
            self._tip(node, node_tooltip, scenario, service, state, joins, metrics)
        for entry in scenario.entrypoints:
            node = self.entries[entry.name]
            node.set_style(NodeStyle(QColor("#37474f"), subtitle=f"{entry.rate:g} req/s"))
            self._tip(node, entry_tooltip, entry, measured)
        self._restyle_edges(scenario, state, measured)
        self._style_groups(scenario)

    def _style_groups(self, scenario: Scenario) -> None:
        """A group node: its members' phase colour when they share one, their highest ρ."""
        if not self.groups:
            return
        by_group = members(self.group_of)
        for group, node in self.groups.items():
            names = by_group[group]
            styles = [self.nodes[n].style for n in names]
            colours = {s.colour.name() for s in styles}
            rho = max(self.rho.get(n, 0.0) for n in names)
            busiest = max(names, key=lambda n: self.rho.get(n, 0.0))
            node.set_style(
                NodeStyle(
                    colour=styles[0].colour if len(colours) == 1 else QColor("#607d8b"),
                    meshed=all(s.meshed for s in styles),
                    onboarded=all(s.onboarded for s in styles),
                    subtitle=f"{len(names)} services · ρ ≤ {rho:.2f}",
                    strict=all(s.strict for s in styles),
                    fill=tint(heat_colour(rho), 0.75) if self.colour_by == "utilization" else None,
                    solid=heat_colour(rho) if self.colour_by == "utilization" else None,
                )
            )
            node.setToolTip(
                f"<b>{group}</b>: {len(names)} services (double-click to expand)<br>"
                f"busiest: {busiest}, ρ = {rho:.2f}"
            )

    def _restyle_edges(self, scenario: Scenario, state, measured: PhaseResult | None) -> None:
        results = {(e.from_, e.to): e for e in measured.edges} if measured else {}
        clients = {"@" + e.name: "@" + e.client for e in scenario.entrypoints}
        for (caller, callee), edge in self.edges.items():
            kind = state.edge_kind(clients.get(caller, caller), callee)
            self._tip(edge, edge_tooltip, caller, callee, kind, results.get((caller, callee)))
            failure_rate = 0.0
            result = results.get((caller, callee))
            if result is not None:
                if result.breakages > 0:
                    kind = "broken"  # drawn as refused; the tooltip keeps the mTLS state
                failure_rate = result.failures / result.calls if result.calls else 0.0
            edge.set_style(EdgeStyle(kind=kind, failure_rate=failure_rate))

    # --- session ----------------------------------------------------------------------

    def _on_session_display_changed(self, scenario: Scenario | None) -> None:
        self.set_scenario(scenario)

    def _on_session_scenario_replaced(self) -> None:
        self.set_results(None)
        self.fit()

    def _on_session_phase_changed(self, index: int) -> None:
        self.set_phase(index)

    def _on_session_results_changed(self) -> None:
        self.set_results(self._session.plan_phases)

    def _on_session_plan_changed(self, _name: str) -> None:
        self.set_results(self._session.plan_phases)

    # --- events -----------------------------------------------------------------------

    def _on_scene_selection_changed(self) -> None:
        if self._syncing:
            return
        if self.layer is not None:
            self.layer.selection_changed()
        items = self.scene().selectedItems()
        if len(items) != 1:
            return
        item = items[0]
        if isinstance(item, NodeItem):
            (self.entrypoint_clicked if item.entry else self.service_clicked).emit(item.name)
        elif isinstance(item, EdgeItem):
            caller = item.source.name
            if item.source.entry:
                self.entrypoint_clicked.emit(caller)
            else:
                self.call_clicked.emit(caller, item.target.name)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        item = self.itemAt(event.position().toPoint())
        if isinstance(item, NodeItem) and item.group_size:
            self.expand(item.name)
            return
        super().mouseDoubleClickEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt override
        item = self.itemAt(event.pos())
        if not isinstance(item, NodeItem) or item.entry:
            return
        menu = QMenu(self)
        if item.group_size:
            menu.addAction(f"Expand {item.name}", lambda: self.expand(item.name))
        else:
            group = self.group_of.get(item.name)
            if group is not None:
                menu.addAction(f"Collapse {group}", lambda: self.collapse(group))
            menu.addAction("Focus on its neighbours", lambda: self.focus(item.name, 1))
        if self.focused is not None:
            menu.addAction("Clear the focus", self.clear_focus)
        menu.exec(event.globalPos())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        self.zoom(1.15 ** (event.angleDelta().y() / 120))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        self._press_scroll = self._scroll_position()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        super().mouseReleaseEvent(event)
        if self._press_scroll is not None and self._press_scroll != self._scroll_position():
            self._auto_fit = False  # the user panned: leave the view where they put it
        self._press_scroll = None
        self._update_scene_rect()  # a dragged node may have left the old bounds

    def _scroll_position(self) -> tuple[int, int]:
        return self.horizontalScrollBar().value(), self.verticalScrollBar().value()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._auto_fit:
            self.fit()
        viewport = self.viewport().geometry()
        self.empty_label.move(
            (viewport.width() - self.empty_label.width()) // 2, viewport.height() // 2 - 20
        )
