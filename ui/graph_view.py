"""GraphView: the service graph of the scenario, drawn for the phase on display.

Nodes are laid out in columns by call depth with the entrypoints on the left. The
scene is rebuilt only when the graph's structure changes (services, calls,
entrypoints); a phase change, an edit of a setting or new results only restyle the
existing items, so large graphs stay smooth.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QLabel, QWidget

from models import Scenario
from models.results import PhaseResult
from ui.edits import joining_phase
from ui.graph_items import NODE_H, NODE_W, EdgeItem, EdgeStyle, NodeItem, NodeStyle, tint
from ui.layout import layered_positions
from ui.palette import BROKEN_COLOUR, FAILURE_COLOUR, MTLS_COLOUR, PLAINTEXT_COLOUR, phase_colour
from ui.phase_state import phase_state
from ui.tooltips import entry_tooltip, node_tooltip

COLUMN_GAP, ROW_GAP = 96.0, 22.0


def _structure(scenario: Scenario) -> tuple:
    calls = tuple(
        (s.name, tuple(dict.fromkeys(c.to for c in s.iter_calls()))) for s in scenario.services
    )
    entries = tuple((e.name, e.service) for e in scenario.entrypoints)
    return calls, entries


class GraphView(QGraphicsView):
    """The scenario's call graph; click a node or an arrow to select it."""

    service_clicked = Signal(str)
    call_clicked = Signal(str, str)
    entrypoint_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("GraphView")
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setBackgroundBrush(QColor("#fafafa"))
        self.scene().selectionChanged.connect(self._on_scene_selection_changed)
        self.nodes: dict[str, NodeItem] = {}
        self.entries: dict[str, NodeItem] = {}
        self.edges: dict[tuple[str, str], EdgeItem] = {}
        self._scenario: Scenario | None = None
        self._structure: tuple | None = None
        self._phase = 0
        self._results: list[PhaseResult] = []
        self._syncing = False
        self._fit_pending = False
        self.empty_label = QLabel("Open a scenario or a sample (File menu) to see its graph.", self)
        self.empty_label.setStyleSheet("color: #607d8b; font-size: 14px;")
        self.empty_label.adjustSize()

    # --- public API -------------------------------------------------------------------

    @property
    def phase(self) -> int:
        return self._phase

    def set_scenario(self, scenario: Scenario | None) -> None:
        """Show ``scenario``; keeps node positions when only settings changed."""
        self._scenario = scenario
        self.empty_label.setVisible(scenario is None)
        if scenario is None:
            self.scene().clear()
            self.nodes, self.entries, self.edges = {}, {}, {}
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
            self._fit_pending = self._fit_pending or first
        self._restyle()

    def set_phase(self, index: int) -> None:
        """Draw the state after phase ``index`` (0: baseline)."""
        self._phase = index
        self._restyle()

    def set_results(self, phases: Sequence[PhaseResult] | None) -> None:
        """Use measured metrics of the last run (baseline first); None clears them."""
        self._results = list(phases or [])
        self._restyle()

    def highlight_service(self, name: str | None) -> None:
        """Mark ``name`` (None: nothing) and bring it into view."""
        for node_name, node in self.nodes.items():
            node.set_highlighted(node_name == name)
        if name in self.nodes:
            self.ensureVisible(self.nodes[name], 60, 60)

    def fit(self) -> None:
        """Zoom to show the whole graph (never above 100 %)."""
        self._fit_pending = False
        rect = self.scene().itemsBoundingRect().adjusted(-30, -30, 30, 30)
        if rect.isEmpty():
            return
        self.resetTransform()
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.transform().m11() > 1.0:
            self.resetTransform()
            self.centerOn(rect.center())

    def zoom(self, factor: float) -> None:
        scale = self.transform().m11() * factor
        if 0.05 <= scale <= 4.0:
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
        self._syncing = True
        self.scene().clear()
        self._syncing = False
        self.nodes, self.entries, self.edges = {}, {}, {}
        positions = layered_positions(scenario)
        for key, (column, row) in positions.items():
            entry = key.startswith("@")
            node = NodeItem(key[1:] if entry else key, entry=entry)
            default = QPointF(column * (NODE_W + COLUMN_GAP), row * (NODE_H + ROW_GAP))
            if entry:
                default += QPointF(NODE_W - node.width, (NODE_H - node.height) / 2)
            node.setPos(old.get(key, default))
            self.scene().addItem(node)
            (self.entries if entry else self.nodes)[node.name] = node
        for service in scenario.services:
            for callee in dict.fromkeys(c.to for c in service.iter_calls()):
                self._add_edge(service.name, self.nodes[service.name], callee)
        for entry in scenario.entrypoints:
            self._add_edge("@" + entry.name, self.entries[entry.name], entry.service)
        self.setSceneRect(self.scene().itemsBoundingRect().adjusted(-400, -400, 400, 400))

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
        state = phase_state(scenario, self._phase)
        joins = joining_phase(scenario)
        measured = self._phase_result()
        for service in scenario.services:
            node = self.nodes[service.name]
            metrics = measured.services.get(service.name) if measured else None
            meshed = service.name in state.meshed
            subtitle = f"{service.replicas}× {service.protocol}"
            if service.sensitive:
                subtitle += " · sensitive"
            if metrics is not None:
                subtitle += f" · {metrics.utilization:.0%} busy"
            node.set_style(
                NodeStyle(
                    colour=phase_colour(joins.get(service.name)),
                    meshed=meshed,
                    onboarded=service.name in state.onboarded,
                    subtitle=subtitle,
                    heat=metrics.utilization if metrics is not None else None,
                    strict=meshed and service.name in state.strict,
                )
            )
            node.setToolTip(node_tooltip(scenario, service, state, joins, metrics))
        for entry in scenario.entrypoints:
            node = self.entries[entry.name]
            node.set_style(NodeStyle(QColor("#37474f"), subtitle=f"{entry.rate:g} req/s"))
            node.setToolTip(entry_tooltip(entry, measured))
        self._restyle_edges(scenario, state, measured)

    def _restyle_edges(self, scenario: Scenario, state, measured: PhaseResult | None) -> None:
        results = {(e.from_, e.to): e for e in measured.edges} if measured else {}
        clients = {"@" + e.name: "@" + e.client for e in scenario.entrypoints}
        for (caller, callee), edge in self.edges.items():
            kind = state.edge_kind(clients.get(caller, caller), callee)
            failure_rate = 0.0
            tip = f"{caller} → {callee}: {kind}"
            result = results.get((caller, callee))
            if result is not None:
                if result.breakages > 0:
                    kind = "broken"
                failure_rate = result.failures / result.calls if result.calls else 0.0
                tip += (
                    f"<br>last run: {result.calls:,.0f} calls, {result.attempts:,.0f} attempts, "
                    f"{failure_rate:.2%} failed, {result.mtls:.0%} over mTLS"
                )
            edge.set_style(EdgeStyle(kind=kind, failure_rate=failure_rate))
            edge.setToolTip(tip)

    # --- events -----------------------------------------------------------------------

    def _on_scene_selection_changed(self) -> None:
        if self._syncing:
            return
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

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        self.zoom(1.15 ** (event.angleDelta().y() / 120))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._fit_pending or not self.scene().items():
            self.fit()
        viewport = self.viewport().geometry()
        self.empty_label.move(
            (viewport.width() - self.empty_label.width()) // 2, viewport.height() // 2 - 20
        )


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
