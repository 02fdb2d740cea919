"""ChartsView: meshsim's plot functions drawn on Qt canvases.

The plot functions (``meshsim.report.plots``) are the ones the HTML report uses; each takes
a matplotlib ``Axes`` and the results. This view only owns the figures: one
``FigureCanvasQTAgg(Figure(layout="constrained"))`` per chart, stacked in a scroll area.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from ui.backend import (
    plot_exposure,
    plot_mtls_coverage,
    plot_p99,
    plot_proxy_cpu,
    plot_proxy_memory,
    plot_success_rate,
)

CHART_HEIGHT = 300


class ChartsView(QScrollArea):
    """The charts of the last results, one under the other."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ChartsView")
        self.setWidgetResizable(True)
        self.figures: dict[str, Figure] = {}
        self._body = QWidget()
        self._layout = QVBoxLayout(self._body)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self.setWidget(self._body)
        self.clear()

    def clear(self) -> None:
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self.figures = {}
        note = QLabel("Charts appear here after a run or a comparison.")
        note.setStyleSheet("color: #607d8b;")
        self._layout.addWidget(note)
        self._layout.addStretch(1)

    def show_run(self, results) -> None:
        self._draw(results, PHASE_CHARTS)

    def show_compare(self, results) -> None:
        self._draw(results, PHASE_CHARTS)

    def _draw(self, results, charts) -> None:
        self.clear()
        self._remove_note()
        for key, title, plot in charts:
            figure = Figure(layout="constrained", figsize=(5, 2.8), dpi=100)
            plot(figure.add_subplot(), results)
            canvas = FigureCanvasQTAgg(figure)
            canvas.setMinimumHeight(CHART_HEIGHT)
            canvas.setToolTip(title)
            axes = figure.axes[0]
            axes.set_title(title, fontsize=10)
            if len(axes.get_lines()) > 1:
                figure.legend(loc="outside lower center", ncols=3, fontsize=7, frameon=False)
            self._layout.insertWidget(self._layout.count() - 1, canvas)
            self.figures[key] = figure

    def _remove_note(self) -> None:
        while self._layout.count():
            widget = self._layout.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        self._layout.addStretch(1)

    def save(self, directory: Path, fmt: str) -> list[Path]:
        """Write every chart as ``<key>.<fmt>`` (png or svg)."""
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for key, figure in self.figures.items():
            path = directory / f"{key}.{fmt}"
            figure.savefig(path, format=fmt, dpi=150 if fmt == "png" else None)
            written.append(path)
        return written


PHASE_CHARTS: list[tuple[str, str, Callable]] = [
    ("p99-latency", "Entry p99 latency per phase", plot_p99),
    ("success-rate", "Entry success rate per phase", plot_success_rate),
    ("mtls-coverage", "mTLS coverage per phase", plot_mtls_coverage),
    ("exposure", "Exposure per phase", plot_exposure),
    ("proxy-cpu", "Proxy CPU per phase", plot_proxy_cpu),
    ("proxy-memory", "Proxy memory per phase", plot_proxy_memory),
]
"""(file name, title, meshsim plot function) of every chart over phases."""
