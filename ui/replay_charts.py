"""ReplayCharts: the series of the phase on replay, under the graph, with a time cursor.

The plot functions take an ``Axes`` and a ``PhaseSeries`` (Mesa's style, as the other
charts); the canvas draws them once per phase or size and then only moves the cursor
line: it restores the saved background and blits the cursor (matplotlib's blitting),
so a frame costs a copy of the canvas, never a redraw of the figure.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    NullLocator,
)
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from ui.replay_data import PhaseSeries, Window

__all__ = [
    "ReplayCharts",
    "plot_edge_attempts",
    "plot_entry_series",
    "plot_queues",
    "shade_windows",
]

LINES = 3
"""Edges and services charted at most: the busiest, so a 1,000-service graph stays legible."""
SHADES = {"fault": ("#e53935", 0.13), "load": ("#1e88e5", 0.10), "warmup": ("#9e9e9e", 0.12)}
CURSOR = "#263238"
FONT = 7


def _small(ax: Axes, title: str) -> None:
    ax.set_title(title, fontsize=FONT + 0.5, loc="left", pad=2)
    ax.tick_params(labelsize=FONT, length=2, pad=1)
    ax.grid(True, alpha=0.25, linewidth=0.5)
    ax.margins(x=0)


def _legend(ax: Axes, handles: list | None = None) -> None:
    """A one-row legend above the axes, right of the title (the width is scarce)."""
    handles = handles or ax.get_lines()
    if handles:
        ax.legend(
            handles=handles, fontsize=FONT - 0.5, loc="lower right", bbox_to_anchor=(1.0, 0.98),
            ncols=len(handles), frameon=False, handlelength=1.2, borderaxespad=0.0,
            columnspacing=0.9, handletextpad=0.4, borderpad=0.0,
        )  # fmt: skip


def plot_entry_series(ax: Axes, series: PhaseSeries) -> Axes:
    """p99 latency (log scale, left) and success share (right) of every entrypoint."""
    _small(ax, "Entry p99 and success")
    twin = ax.twinx()
    handles = []
    for name in series.entrypoints:
        (p99,) = ax.plot(series.t, np.maximum(series.entry_p99_ms(name), 0.1), lw=1.2,
                         label=f"{name} p99 ms")  # fmt: skip
        (ok,) = twin.plot(series.t, 100 * series.entry_success(name), lw=1.2, ls="--",
                          color="#2e7d32", label=f"{name} ok %")  # fmt: skip
        handles += [p99, ok]
    ax.set_yscale("log")
    low, high = ax.get_ylim()
    if high / max(low, 1e-9) >= 10:
        # a decade or more: label the decades only (the minor ticks' labels, 2×10²,
        # 3×10², …, pile up on a short axis)
        ax.yaxis.set_major_locator(LogLocator(base=10, numticks=4))
    else:  # less than a decade: three plain values, else no label would show
        ax.yaxis.set_major_locator(MaxNLocator(3))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
        ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_ylabel("ms", fontsize=FONT, labelpad=1)
    twin.set_ylim(-5, 105)
    twin.set_ylabel("ok %", fontsize=FONT, labelpad=1)
    twin.tick_params(labelsize=FONT, length=2, pad=1)
    _legend(twin, handles)
    return ax


def plot_edge_attempts(ax: Axes, series: PhaseSeries) -> Axes:
    """Tries per second on the busiest arrows."""
    _small(ax, "Tries/s, busiest calls")
    for edge in series.busiest_edges(LINES):
        ax.plot(series.t, edge.attempts / series.bucket_s, lw=1.1, label=edge.label)
    ax.set_ylim(bottom=0)
    _legend(ax)
    return ax


def plot_queues(ax: Axes, series: PhaseSeries) -> Axes:
    """Mean queue length of the services whose queues grow longest."""
    _small(ax, "Queued, longest queues")
    for name in series.longest_queues(LINES):
        ax.plot(series.t, series.services[name]["queued"], lw=1.1, label=name)
    if not ax.get_lines():
        ax.text(0.5, 0.5, "no queue builds up", transform=ax.transAxes, ha="center",
                va="center", fontsize=FONT, color="#78909c")  # fmt: skip
    ax.set_ylim(bottom=0)
    ax.set_xlabel("simulated time (s)", fontsize=FONT, labelpad=1)
    _legend(ax)
    return ax


def shade_windows(ax: Axes, windows: list[Window], *, labels: bool = False) -> None:
    """Shade faults (red), load changes (blue) and the warm-up (grey) on ``ax``."""
    end = ax.get_xlim()[1]
    for window in windows:
        if window.start_s >= end:
            continue
        colour, alpha = SHADES[window.kind]
        if window.end_s > window.start_s:
            ax.axvspan(window.start_s, window.end_s, color=colour, alpha=alpha, lw=0)
        else:
            ax.axvline(window.start_s, color=colour, alpha=0.6, lw=1, ls=":")
        if labels and window.kind != "warmup":
            ax.text(window.start_s, 0.03, f" {window.label}", transform=ax.get_xaxis_transform(),
                    fontsize=FONT - 0.5, color=colour, va="bottom", ha="left", in_layout=False,
                    clip_on=True)  # fmt: skip


class ReplayCharts(FigureCanvasQTAgg):
    """Three charts sharing the time axis and one cursor; click a chart to seek there."""

    seek_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        self.figure = Figure(layout="constrained", dpi=100)
        super().__init__(self.figure)
        self.setParent(parent)
        self.setObjectName("ReplayCharts")
        self.setMinimumHeight(200)
        self.cursors: list = []
        self.time = 0.0
        self._background = None
        self.mpl_connect("draw_event", self._on_draw)
        self.mpl_connect("button_press_event", self._on_press)

    def show_series(self, series: PhaseSeries | None, windows: list[Window]) -> None:
        """Draw ``series`` (the expensive part, once per phase); None clears."""
        self.figure.clear()
        self.cursors, self._background = [], None
        if series is not None and series.size:
            axes = self.figure.subplots(3, 1, sharex=True)
            plot_entry_series(axes[0], series)
            plot_edge_attempts(axes[1], series)
            plot_queues(axes[2], series)
            for i, ax in enumerate(axes):
                ax.set_xlim(0, series.end_s)
                shade_windows(ax, windows, labels=i == 0)
                self.cursors.append(ax.axvline(self.time, color=CURSOR, lw=1.2, animated=True))
        self.draw_idle()

    def set_time(self, t: float) -> None:
        """Move the cursor to ``t``: one blit, no redraw."""
        self.time = t
        if self._background is None:
            return
        self.restore_region(self._background)
        self._draw_cursors()
        self.blit(self.figure.bbox)

    def _draw_cursors(self) -> None:
        for cursor in self.cursors:
            cursor.set_xdata([self.time, self.time])
            cursor.axes.draw_artist(cursor)

    def _on_draw(self, _event) -> None:
        self._background = self.copy_from_bbox(self.figure.bbox)
        self._draw_cursors()

    def _on_press(self, event) -> None:
        if event.xdata is not None and self.cursors:
            self.seek_requested.emit(float(event.xdata))
