"""SweepPanel: sweep one or two fields of the scenario and pick a setting from the chart.

"Sweep this…" on a numeric or duration field calls :meth:`SweepPanel.sweep_field`,
which fills in the field's path and a range around its value. Running simulates the
phase at every point in a child process (:class:`~ui.worker.Worker`), a point at a time, so
the curve (one field) or heat map (two) fills in as points finish; the best point and
why are shown at the end. Clicking a point emits ``setting_chosen`` with its values
(``{path: value}``) for the app to apply.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meshsim import axis_values, dump_scenario, parse_param, plot_sweep
from models import Scenario, format_duration, parse_duration
from models.sweep import SweepBest, SweepPoint, SweepResults
from ui import job_process
from ui.worker import Worker

METRICS = ("goodRate", "successRate", "p99", "retryAmplification", "proxyCpuCores")


def suggest_values(value: Any) -> str:
    """A range around a field's current value: durations and numbers ×/÷ 4, counts ± 2.

    Examples
    --------
    >>> suggest_values("200ms"), suggest_values(2), suggest_values(0.5)
    ('50ms..800ms:8', '0..4:5', '0.125..2:8')
    >>> suggest_values("none"), suggest_values(0.0)
    ('100ms..2s:6', '0..1:5')
    """
    if isinstance(value, bool):
        return "true,false"
    if isinstance(value, int):
        return f"{max(0, value - 2)}..{value + 2}:{value + 2 - max(0, value - 2) + 1}"
    if isinstance(value, float) and value > 0:
        return f"{value / 4:g}..{value * 4:g}:8"
    if isinstance(value, float):
        return "0..1:5"  # a probability or a share, most likely
    if value == "none":
        return "100ms..2s:6"  # no timeout yet: try some
    try:
        seconds = parse_duration(value)
    except (TypeError, ValueError):
        return "" if value is None else str(value)
    if seconds <= 0:
        return "0ms..100ms:5"
    return f"{format_duration(seconds / 4)}..{format_duration(seconds * 4)}:8"


class SweepPanel(QWidget):
    """Range inputs, a run button, and the chart of the points so far."""

    point_done = Signal(int, object)
    """(index, SweepPoint), as each point finishes in the sweep's process."""
    setting_chosen = Signal(dict)
    """The values of the point the user clicked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SweepPanel")
        self.paths = [QLineEdit(), QLineEdit()]
        self.values = [QLineEdit(), QLineEdit()]
        self.paths[1].setPlaceholderText("optional second field, e.g. services[api].replicas")
        self.metric = QComboBox()
        self.metric.addItems(METRICS)
        self.metric.currentTextChanged.connect(lambda _text: self._draw())
        self.run_button = QPushButton("Run sweep")
        self.progress = QProgressBar()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.figure = Figure(layout="constrained", dpi=100)
        self.canvas = FigureCanvasQTAgg(self.figure)
        self.canvas.mpl_connect("button_press_event", self._on_canvas_button_press)
        self._layout()
        self.point_done.connect(self._on_point_done)
        self.worker: Worker | None = None
        self.result: SweepResults | None = None
        self._points: dict[int, SweepPoint] = {}
        self._params: list[str] = []
        self._phase = ""
        self._draw()

    def _layout(self) -> None:
        """Inputs on the left, the chart on the right: a bottom dock is wide, not tall."""
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        for k in range(2):
            self.paths[k].setMinimumWidth(120)
            self.values[k].setMinimumWidth(80)
            row = QHBoxLayout()
            row.addWidget(self.paths[k], 3)
            row.addWidget(self.values[k], 2)
            form.addRow(f"field {k + 1} / values", row)
        self.values[0].setPlaceholderText("V1,V2,... or LOW..HIGH:COUNT")
        self.paths[0].setPlaceholderText("field, e.g. mesh.defaults.retries.attempts")
        form.addRow("chart", self.metric)
        controls = QVBoxLayout()
        controls.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.progress, 1)
        controls.addLayout(buttons)
        controls.addWidget(self.status)
        controls.addStretch(1)
        left = QWidget()
        left.setLayout(controls)
        left.setMaximumWidth(460)
        self.canvas.setMinimumSize(240, 120)
        self.canvas.setToolTip("Click a point to load its setting into the scenario (Undo reverts)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addWidget(left, 2)
        layout.addWidget(self.canvas, 3)

    def sweep_field(self, path: str, value: Any) -> None:
        """Sweep this…: sweep ``path`` over a range around its current ``value``."""
        self.paths[0].setText(path)
        self.paths[0].setCursorPosition(0)
        self.paths[0].setToolTip(path)
        self.values[0].setText(suggest_values(value))
        self.paths[1].clear()
        self.values[1].clear()

    def start(self, scenario: Scenario, phase: int | str | None = None) -> Worker:
        """Sweep the scenario's ``phase`` (default the last) in the background.

        Raises ``ValueError`` (shown by the caller) when a range cannot be read.
        """
        texts = [
            f"{p.text().strip()}={v.text().strip()}"
            for p, v in zip(self.paths, self.values, strict=True)
            if p.text().strip()
        ]
        params = [parse_param(t) for t in texts]  # a bad range raises here, in the app
        self._params = [p.path for p in params]
        self._points = {}
        self.result = None
        options = {
            "text": dump_scenario(scenario),
            "file": scenario.metadata.name,
            "params": texts,
            "phase": phase,
        }
        # in its own process like every simulation of the app: Cancel frees its memory
        self.worker = Worker("sweep", "sweep", {}, options, self, job_process.run_sweep_job)
        self.worker.point.connect(self.point_done.emit)
        self.worker.progress.connect(lambda f: self.progress.setValue(int(100 * f)))
        self.worker.finished.connect(self._on_worker_finished)
        self.worker.errored.connect(lambda err: self.status.setText(str(err)))
        self.status.setText("simulating…")
        self.worker.start()
        return self.worker

    def _on_point_done(self, index: int, point: SweepPoint) -> None:
        self._points[index] = point
        self._draw()

    def _on_worker_finished(self, result: SweepResults) -> None:
        self.result = result
        self._phase = result.phase
        self.status.setText(f"best: {result.best.why}")
        self._draw()

    def current(self) -> SweepResults | None:
        """The finished sweep, or the points done so far."""
        if self.result is not None:
            return self.result
        if not self._points:
            return None
        points = [self._points[i] for i in sorted(self._points)]
        return SweepResults(
            params=self._params,
            phase=self._phase or "…",
            replications=0,
            points=points,
            best=SweepBest(values=None, why="running"),
        )

    def _draw(self) -> None:
        self.figure.clear()
        data = self.current()
        if data is not None:
            plot_sweep(self.figure.add_subplot(), data, self.metric.currentText())
        else:
            self.figure.text(
                0.5,
                0.5,
                "The curve (one field) or heat map (two) fills in here as points finish.\n"
                "Click a point to load its setting into the scenario.",
                ha="center",
                va="center",
                color="#607d8b",
                fontsize=9,
            )
        self.canvas.draw_idle()

    def point_at(self, x: float | None, y: float | None) -> int | None:
        """The point drawn nearest to chart position (x, y), or None."""
        data = self.current()
        if data is None or x is None:
            return None
        if len(data.params) == 1:
            xs, _unit, log = axis_values([p.values[data.params[0]] for p in data.points])

            def distance(value: float) -> float:
                if log and value > 0 and x > 0:
                    return abs(math.log(value) - math.log(x))
                return abs(value - x)

            return min(range(len(xs)), key=lambda i: distance(xs[i]))
        if y is None:
            return None
        first, second = data.params
        rows = list(dict.fromkeys(p.values[first] for p in data.points))
        cols = list(dict.fromkeys(p.values[second] for p in data.points))
        i, j = round(y), round(x)
        if not (0 <= i < len(rows) and 0 <= j < len(cols)):
            return None
        for k, p in enumerate(data.points):
            if p.values[first] == rows[i] and p.values[second] == cols[j]:
                return k
        return None

    def _on_canvas_button_press(self, event) -> None:
        index = self.point_at(event.xdata, event.ydata)
        data = self.current()
        if index is not None and data is not None:
            self.setting_chosen.emit(dict(data.points[index].values))
