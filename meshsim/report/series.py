"""Time series (SPEC §14) as rows and charts: CSV for ``run --series-csv``, plots for reports.

The plot functions take an ``ax`` and the phase's :class:`~models.results.Series`, like
those of :mod:`meshsim.report.plots`; they need no matplotlib import of their own, so
the CLI can write CSV without loading matplotlib. Fault windows and load changes are
shaded (:func:`time_marks`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from models import Scenario
from models.load import SineLoad, SpikeLoad
from models.results import Results, Series

__all__ = [
    "TimeMarks",
    "plot_edge_attempts",
    "plot_entry_series",
    "series_csv",
    "series_rows",
    "shade",
    "time_marks",
    "top_edges",
]

TimeMarks = dict[str, list[tuple[float, float, str]]]
"""``{"faults": [(start, end, label)], "load": [(start, end, label)]}`` in seconds."""

_FAULT_COLOR, _LOAD_COLOR = "#d9534f", "#4a7bd0"


def series_rows(results: Results) -> Iterator[tuple[str, float, str, str, str, float | None]]:
    """Every value of every phase's series as ``(phase, t, kind, name, metric, value)``.

    ``kind`` is ``entrypoint``, ``service`` or ``edge`` (named ``from->to``); metrics are
    the wire names of SPEC §14; ``value`` is None where it is undefined (a p99 of a
    bucket without a finished request).
    """
    for phase in results.phases:
        series = phase.series
        if series is None:
            continue
        groups: list[tuple[str, str, dict[str, Any]]] = []
        groups += [
            ("entrypoint", n, e.model_dump(by_alias=True)) for n, e in series.entrypoints.items()
        ]
        groups += [("service", n, s.model_dump(by_alias=True)) for n, s in series.services.items()]
        for edge in series.edges:
            values = edge.model_dump(by_alias=True, exclude={"from_", "to"})
            groups.append(("edge", f"{edge.from_}->{edge.to}", values))
        for i, t in enumerate(series.t):
            for kind, name, metrics in groups:
                for metric, values in metrics.items():
                    yield phase.name, t, kind, name, metric, values[i]


def series_csv(results: Results) -> str:
    """The series of ``results`` as CSV text with the header ``phase,t,kind,name,metric,value``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["phase", "t", "kind", "name", "metric", "value"])
    for phase, t, kind, name, metric, value in series_rows(results):
        writer.writerow(
            [phase, f"{t:g}", kind, name, metric, "" if value is None else f"{value:.6g}"]
        )
    return out.getvalue()


def time_marks(scenario: Scenario) -> TimeMarks:
    """Fault windows and load changes of a scenario, to shade on time axes."""
    end = scenario.simulation.duration
    faults = [
        (f.start, end if f.duration is None else f.start + f.duration, f"{f.type} {f.service}")
        for f in scenario.faults
    ]
    load: list[tuple[float, float, str]] = []
    for entry in scenario.entrypoints:
        spec = entry.load
        if isinstance(spec, SpikeLoad):
            load.append((spec.at, spec.at + spec.duration, f"spike {entry.name}"))
        elif spec is not None and not isinstance(spec, SineLoad):
            for point in spec:
                load.append((point.at, point.at + point.ramp, f"load {entry.name}"))
    return {"faults": faults, "load": load}


def shade(ax: Any, marks: TimeMarks | None) -> None:
    """Shade fault windows (red) and load changes (blue; a step is a line) on ``ax``."""
    if not marks:
        return
    for start, stop, _label in marks.get("faults", []):
        ax.axvspan(start, stop, color=_FAULT_COLOR, alpha=0.12, lw=0)
    for start, stop, _label in marks.get("load", []):
        if stop > start:
            ax.axvspan(start, stop, color=_LOAD_COLOR, alpha=0.12, lw=0)
        else:
            ax.axvline(start, color=_LOAD_COLOR, alpha=0.6, lw=1, ls="--")


def plot_entry_series(ax: Any, series: Series, entry: str, marks: TimeMarks | None = None) -> Any:
    """Success share (left axis) and p99 latency (right axis) of ``entry`` over time."""
    e = series.entrypoints[entry]
    success = [ok / n if n else None for ok, n in zip(e.ok, e.requests, strict=True)]
    mid = [t + series.bucket_s / 2 for t in series.t]
    shade(ax, marks)
    ax.plot(
        mid,
        [100 * s if s is not None else float("nan") for s in success],
        color="#2e7d32",
        label="success %",
    )
    ax.set_ylim(-2, 102)
    ax.set_ylabel("success %")
    ax.set_xlabel("simulated time (s)")
    right = ax.twinx()
    right.plot(
        mid,
        [p if p is not None else float("nan") for p in e.p99_ms],
        color="#8e44ad",
        label="p99 ms",
    )
    right.set_ylabel("p99 ms")
    ax.set_title(f"{entry}: success and p99 over time")
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], loc="lower left", fontsize=8)
    return ax


def top_edges(series: Series, n: int = 5) -> list[int]:
    """Indexes of the ``n`` edges with the most attempts over the run."""
    order = sorted(range(len(series.edges)), key=lambda i: -sum(series.edges[i].attempts))
    return order[:n]


def plot_edge_attempts(ax: Any, series: Series, n: int = 5, marks: TimeMarks | None = None) -> Any:
    """Attempts per second of the ``n`` busiest edges over time."""
    mid = [t + series.bucket_s / 2 for t in series.t]
    shade(ax, marks)
    for i in top_edges(series, n):
        edge = series.edges[i]
        ax.plot(
            mid, [a / series.bucket_s for a in edge.attempts], label=f"{edge.from_} → {edge.to}"
        )
    ax.set_ylabel("attempts / s")
    ax.set_xlabel("simulated time (s)")
    ax.set_title("attempts per edge over time (busiest edges)")
    if series.edges:
        ax.legend(loc="upper left", fontsize=8)
    return ax
