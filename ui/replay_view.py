"""ReplayView: a run played back over simulated time, on the graph and in charts.

Play/pause, step one bucket, speed 0.25×–16× and a scrubber over the run; the graph
(a ``GraphView`` of its own, with the ``ReplayOverlay``) shows the traffic of each call
and the load of each service at time t, the charts under it the whole run with a
cursor at t. Time advances by the wall clock (``clock``, replaceable in tests) times
the speed, so a slow frame never slows the replay down, it only skips frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QSplitter,
    QStackedWidget,
    QStyle,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from models import Scenario
from ui.graph_items import NodeItem
from ui.graph_view import MAX_FIT_SCALE, GraphView
from ui.replay_charts import ReplayCharts
from ui.replay_data import PhaseSeries, series_of, windows_of
from ui.replay_overlay import EJECTED_COLOUR, QUEUE_COLOUR, ReplayOverlay
from ui.replay_traffic import AMBER, HEALTHY, RED, TRIES_COLOUR
from ui.session import Session

__all__ = ["NO_RESULTS", "NO_SERIES", "SPEEDS", "ReplayView"]

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
FRAME_MS = 33
DOT_LAPS_PER_S = 0.5
"""Dots run along an arrow at one speed whatever the replay's speed: their number says
the volume, and at 16× faster dots would only flicker."""
SCRUB_STEPS_PER_S = 10
CHARTS_MIN_H, CHARTS_SHARE, CHARTS_MAX_SHARE, CONTROLS_H = 190, 0.42, 0.62, 34
GRAPH_PADDING = 30
"""The charts get this share of the height (at least this many pixels) at first."""
LEGEND = (
    "Arrows: width = calls/s, colour = failed share "
    f"(<b style='color:{HEALTHY.name()}'>none</b> → <b style='color:{AMBER.name()}'>5%</b>"
    f" → <b style='color:{RED.name()}'>½ or more</b>), dots = volume, "
    f"<b style='color:{TRIES_COLOUR}'>×N</b> = tries per call.  Nodes: bar = busy workers, "
    f"<b style='color:{QUEUE_COLOUR}'>queue</b>, <b style='color:{EJECTED_COLOUR}'>ejected</b>"
    f" replicas, <b style='color:{TRIES_COLOUR}'>tries/req</b> when far above normal."
)
NO_RESULTS = "Run the scenario (▶ Run) to replay it over time here."
NO_SERIES = (
    "These results have no time series, so there is nothing to replay.\n\n"
    "Add  series: 1s  under  simulation:  in the scenario (or run  meshsim run --series)"
    " and run again to watch the run unfold second by second."
)


class ReplayView(QWidget):
    """A phase's time series replayed on the graph and in charts."""

    phase_chosen = Signal(int)
    time_changed = Signal(float)

    def __init__(self, parent: QWidget | None = None, clock: Callable[[], float] | None = None):
        super().__init__(parent)
        self._live: dict[int, dict] = {}  # a running job's series, by phase
        self.setObjectName("ReplayView")
        self.clock = clock or time.monotonic
        self.scenario: Scenario | None = None
        self.phases: list[tuple[str, PhaseSeries | None]] = []
        self.phase = 0
        self.time = 0.0
        self.speed = 1.0
        self.dots = 0.0
        self._last_tick: float | None = None
        self._nodes_seen: dict | None = None
        self._highlighted: list[str] = []
        self._sized = False
        self._session: Session | None = None
        self._stale = False
        """The session changed while hidden: reload when shown."""
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self._on_timer_timeout)
        self._build()

    # --- construction -----------------------------------------------------------------

    def _button(self, icon: QStyle.StandardPixmap, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setIcon(self.style().standardIcon(icon))
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def _build(self) -> None:
        self.phase_combo = QComboBox()
        self.phase_combo.setToolTip("The phase to replay")
        self.phase_combo.activated.connect(self._on_phase_combo_activated)
        pixmap = QStyle.StandardPixmap
        self.back_button = self._button(
            pixmap.SP_MediaSeekBackward, "One bucket back (←)", lambda: self.step(-1)
        )
        self.play_button = self._button(pixmap.SP_MediaPlay, "Play / pause (Space)", self.toggle)
        self.forward_button = self._button(
            pixmap.SP_MediaSeekForward, "One bucket on (→)", lambda: self.step(1)
        )
        self.speed_combo = QComboBox()
        self.speed_combo.addItems([f"{s:g}×" for s in SPEEDS])
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_combo.setToolTip("Seconds of simulated time per second")
        self.speed_combo.currentIndexChanged.connect(self._on_speed_combo_index_changed)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setToolTip("Simulated time: drag to move through the run")
        self.scrubber.valueChanged.connect(self._on_scrubber_value_changed)
        self.time_label = QLabel()
        self.time_label.setMinimumWidth(110)
        controls = QHBoxLayout()
        controls.setContentsMargins(2, 0, 2, 0)
        for widget in (self.phase_combo, self.back_button, self.play_button,
                       self.forward_button, self.speed_combo):  # fmt: skip
            controls.addWidget(widget)
        controls.addWidget(self.scrubber, 1)
        controls.addWidget(self.time_label)
        self.graph = GraphView()
        self.graph.rho_subtitles = False  # the replay labels each node's busy share itself
        self.graph.setObjectName("ReplayGraph")
        self.graph.viewport().installEventFilter(self)
        self.overlay = ReplayOverlay(self.graph)
        self.charts = ReplayCharts()
        self.charts.seek_requested.connect(self.seek)
        self.legend = QLabel(LEGEND)
        self.legend.setObjectName("ReplayLegend")
        self.legend.setWordWrap(True)
        self.legend.setStyleSheet("color: #455a64; font-size: 11px;")
        graph_page = QWidget()
        graph_layout = QVBoxLayout(graph_page)
        graph_layout.setContentsMargins(0, 0, 0, 0)
        graph_layout.setSpacing(2)
        graph_layout.addWidget(self.graph, 1)
        graph_layout.addWidget(self.legend)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(graph_page)
        self.splitter.addWidget(self.charts)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.charts.setMinimumHeight(CHARTS_MIN_H)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        self.content = QWidget()
        inner = QVBoxLayout(self.content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(2)
        inner.addLayout(controls)
        inner.addWidget(self.splitter, 1)
        self.placeholder = QLabel(NO_RESULTS)
        self.placeholder.setObjectName("ReplayPlaceholder")
        self.placeholder.setWordWrap(True)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #607d8b; padding: 30px; font-size: 13px;")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        for key, slot in (("Space", self.toggle), ("Left", lambda: self.step(-1)),
                          ("Right", lambda: self.step(1))):  # fmt: skip
            shortcut = QShortcut(QKeySequence(key), self.content)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def follow(self, session: Session) -> None:
        """Replay the session's plan on display and its phase from now on."""
        self._session = session
        for signal in (session.results_changed, session.scenario_replaced,
                       session.display_changed, session.plan_changed):  # fmt: skip
            signal.connect(self._on_session_changed)
        session.phase_changed.connect(self._on_session_phase_changed)
        self.phase_chosen.connect(lambda index: session.set_phase(index, chosen=True))

    def reload(self) -> None:
        """Take the session's phases, series and scenario again."""
        session = self._session
        if session is None:
            return
        self._stale = False
        phases = [(p.name, series_of(p)) for p in session.plan_phases]
        self.set_data(session.display_scenario, phases, session.phase)

    def stream(self, phase: int, series: dict) -> None:
        """Show a run's series so far (phase index, SPEC §14 JSON) while it runs.

        The phases of the scenario as written are shown, each with what has streamed
        in; the cursor follows the newest bucket of ``phase`` unless the replay is
        playing. The finished run's results replace all of it.
        """
        session = self._session
        scenario = session.scenario if session is not None else self.scenario
        if scenario is None:
            return
        self._live[phase] = series
        names = ["baseline", *(p.name for p in scenario.rollout.phases)]
        shown = [(name, self._live.get(i)) for i, name in enumerate(names)]
        playing = self.playing
        at = self.time
        self.set_data(scenario, shown, phase)
        t = series.get("t") or [0.0]
        self.seek(at if playing else t[-1] + float(series.get("bucketS", 0.0)))
        if playing:
            self.play()

    def end_stream(self) -> None:
        """Forget what streamed in (a new job starts, or one ended)."""
        self._live = {}

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self.reload()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.pause()
        super().hideEvent(event)

    # --- what is replayed -------------------------------------------------------------

    @property
    def series(self) -> PhaseSeries | None:
        """The series of the phase on replay (None: that phase has none)."""
        return self.phases[self.phase][1] if self.phase < len(self.phases) else None

    @property
    def has_series(self) -> bool:
        return any(series is not None for _, series in self.phases)

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def set_data(
        self, scenario: Scenario | None, phases: Sequence[tuple[str, dict | None]], phase: int = 0
    ) -> None:
        """Replay ``phases`` ((name, SPEC §14 series or None), baseline first) of ``scenario``."""
        self.pause()
        self.scenario = scenario
        self.phases = [
            (name, PhaseSeries.from_json(series, scenario) if series else None)
            for name, series in phases
        ]
        self.phase_combo.clear()
        for index, (name, series) in enumerate(self.phases):
            self.phase_combo.addItem(f"{index} {name}" + ("" if series else " (no series)"))
        if not phases or not self.has_series or scenario is None:
            self.placeholder.setText(NO_SERIES if phases else NO_RESULTS)
            self.stack.setCurrentWidget(self.placeholder)
            self.graph.set_scenario(None)
            self.overlay.attach(None, {}, rebuilt=True)
            self._nodes_seen = None
            return
        self.stack.setCurrentWidget(self.content)
        self._size_splitter()
        self.set_phase(phase, force=True)

    def set_phase(self, index: int, *, force: bool = False) -> None:
        """Replay phase ``index`` (0 = baseline) from the time on display."""
        index = max(0, min(index, len(self.phases) - 1))
        if index == self.phase and not force:
            return
        self.phase = index
        self.phase_combo.setCurrentIndex(index)
        scenario = self.scenario
        if scenario is None:
            return
        self.graph.set_scenario(scenario)
        self.graph.set_phase(min(index, len(scenario.rollout.phases)))
        rebuilt = self.graph.nodes is not self._nodes_seen
        self._nodes_seen = self.graph.nodes
        series = self.series
        self.overlay.attach(series, {s.name: s.replicas for s in scenario.services},
                            rebuilt=rebuilt)  # fmt: skip
        end = series.end_s if series is not None else 0.0
        self.charts.show_series(series, windows_of(scenario, end))
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, int(round(end * SCRUB_STEPS_PER_S)))
        self.scrubber.blockSignals(False)
        self.highlight(self._highlighted)
        if rebuilt:
            self._size_splitter()
            self.graph.fit()
        self.seek(min(self.time, end))

    def highlight(self, names: Sequence[str]) -> None:
        """Mark the services ``names`` on the replay's graph (a lesson's highlight)."""
        self._highlighted = list(names)
        for name, node in self.graph.nodes.items():
            node.set_highlighted(name in self._highlighted)
        for item in self.overlay.loads.values():
            item.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._size_splitter()

    def _size_splitter(self) -> None:
        """Share the height between graph and charts, until the user drags the splitter."""
        if self._sized:
            return
        height = max(self.height() - CONTROLS_H - self.legend.sizeHint().height(), 2 * CHARTS_MIN_H)
        charts = max(CHARTS_MIN_H, int(height * CHARTS_SHARE))
        rect = self.graph.sceneRect()
        if not rect.isEmpty():
            # A wide, flat graph (a chain) leaves the charts the height it does not need.
            scale = min(MAX_FIT_SCALE, max(self.graph.viewport().width(), 1) / rect.width())
            spare = height - int(rect.height() * scale) - GRAPH_PADDING
            charts = max(charts, min(spare, int(height * CHARTS_MAX_SHARE)))
        self.splitter.setSizes([height - charts, charts])

    def arrow_tip(self, key: tuple[str, str]) -> str:
        """What the arrow ``key`` carries in the bucket on display, for its tooltip."""
        traffic = self.overlay.traffic(key)
        caller = key[0].removeprefix("@")
        if traffic is None or traffic.width <= 0:
            return f"{caller} → {key[1]} at t = {self.time:.1f} s: no calls"
        return (
            f"{caller} → {key[1]} at t = {self.time:.1f} s: {traffic.rate:,.0f} calls/s, "
            f"{traffic.share:.0%} failed, {traffic.tries:.2f} tries per call"
        )

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt override
        """Tooltips of the arrows: the graph's own are hidden under the traffic layer."""
        layer = self.overlay.layer
        if event.type() == QEvent.Type.ToolTip and layer is not None:
            point = self.graph.mapToScene(event.pos())
            if not any(isinstance(i, NodeItem) for i in self.graph.scene().items(point)):
                key = layer.arrow_at(point)
                if key is not None:
                    QToolTip.showText(event.globalPos(), self.arrow_tip(key), self.graph)
                    return True
        return super().eventFilter(watched, event)

    # --- playing ----------------------------------------------------------------------

    @property
    def end_s(self) -> float:
        series = self.series
        return series.end_s if series is not None else 0.0

    def seek(self, t: float) -> None:
        """Show simulated time ``t`` (clamped to the run)."""
        self.time = max(0.0, min(float(t), self.end_s))
        self._show()

    def play(self) -> None:
        if self.series is None:
            return
        if self.time >= self.end_s:
            self.time = 0.0
        self._last_tick = self.clock()
        self.timer.start()
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))

    def pause(self) -> None:
        self.timer.stop()
        self._last_tick = None
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def step(self, buckets: int) -> None:
        """Pause and move ``buckets`` buckets on (negative: back), to a bucket's start."""
        series = self.series
        if series is None:
            return
        self.pause()
        index = max(0, min(series.size - 1, series.bucket(self.time) + buckets))
        self.seek(float(series.t[index]))

    def set_speed(self, speed: float) -> None:
        """Simulated seconds per wall-clock second (one of ``SPEEDS``)."""
        self.speed_combo.setCurrentIndex(SPEEDS.index(speed))

    def tick(self) -> None:
        """Advance by the wall-clock time since the last tick times the speed."""
        if self._last_tick is None:
            return
        now = self.clock()
        elapsed, self._last_tick = max(0.0, now - self._last_tick), now
        self.dots = (self.dots + elapsed * DOT_LAPS_PER_S) % 1.0
        self.time = min(self.time + elapsed * self.speed, self.end_s)
        self._show()
        if self.time >= self.end_s:
            self.pause()

    def _show(self) -> None:
        self.overlay.show_at(self.time, self.dots)
        self.charts.set_time(self.time)
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(int(round(self.time * SCRUB_STEPS_PER_S)))
        self.scrubber.blockSignals(False)
        self.time_label.setText(f"t = {self.time:5.1f} s of {self.end_s:g} s")
        self.time_changed.emit(self.time)

    # --- slots ------------------------------------------------------------------------

    def _on_session_changed(self, *_args) -> None:
        self._stale = True
        if self.isVisible():
            self.reload()

    def _on_session_phase_changed(self, index: int) -> None:
        if not self._stale and index != self.phase:
            self.set_phase(index)

    def _on_splitter_moved(self, _pos: int, _index: int) -> None:
        self._sized = True

    def _on_timer_timeout(self) -> None:
        self.tick()

    def _on_phase_combo_activated(self, index: int) -> None:
        self.set_phase(index)
        self.phase_chosen.emit(index)

    def _on_speed_combo_index_changed(self, index: int) -> None:
        self.speed = SPEEDS[index]

    def _on_scrubber_value_changed(self, value: int) -> None:
        self.seek(value / SCRUB_STEPS_PER_S)
