"""Charts of a sweep (SPEC §15): a line with its 95% band, or a heat map.

Plain functions ``plot_x(ax, sweep) -> Axes`` like :mod:`meshsim.report.plots`, shared
by the command line (``sweep --plot``) and the app; no pyplot.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from meshsim.report.plots import PALETTE
from models import parse_duration
from models.sweep import METRICS, SweepPoint, SweepResults

__all__ = [
    "METRICS",
    "axis_values",
    "metric_of",
    "plot_sweep",
    "plot_sweep_heatmap",
    "plot_sweep_line",
]


LINES_SHOWN = 6
"""A line plot shows at most this many lines: with more entrypoints, their mean and the
busiest (a legend of 385 entrypoints covered the plot)."""


def metric_of(point: SweepPoint, metric: str, entrypoint: str | None = None) -> tuple[float, float]:
    """(value, 95% half-width) of ``metric`` at a point, for one entrypoint or their mean."""
    field, _label = METRICS[metric]
    if field is None:
        return float(getattr(point, _snake(metric))), 0.0
    entries = [point.entrypoints[entrypoint]] if entrypoint else list(point.entrypoints.values())
    values, halves = [], []
    for e in entries:
        data = e.model_dump(by_alias=True)
        value: Any = data
        for part in field.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        values.append(np.nan if value is None else float(value))
        halves.append(float(e.ci95.get(field, 0.0)))
    return float(np.mean(values)), float(np.mean(halves))


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def axis_values(values: list[Any]) -> tuple[list[float], str, bool]:
    """Numbers to plot a parameter's values at, the unit, and whether to use a log axis."""
    try:
        numbers = [parse_duration(v) * 1000 for v in values]
        unit = " (ms)"
    except (TypeError, ValueError):
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
            numbers, unit = [float(v) for v in values], ""
        else:
            return list(range(len(values))), "", False
    positive = [n for n in numbers if n > 0]
    log = len(positive) == len(numbers) and max(numbers) / min(numbers) >= 10
    return numbers, unit, log


def plot_sweep_line(ax: Axes, sweep: SweepResults, metric: str = "goodRate") -> Axes:
    """One parameter: the metric per entrypoint with its 95% confidence band.

    With more than :data:`LINES_SHOWN` entrypoints: their mean and the busiest.
    """
    param = sweep.params[0]
    values = [p.values[param] for p in sweep.points]
    xs, unit, log = axis_values(values)
    names: list[str | None] = list(sweep.points[0].entrypoints) if METRICS[metric][0] else [None]
    labels = {name: name or metric for name in names}
    if len(names) > LINES_SHOWN:
        # hundreds of entrypoints (an imported graph): the busiest, and the mean of all
        entries = sweep.points[0].entrypoints
        busiest = sorted(entries, key=lambda e: -entries[e].requests)[: LINES_SHOWN - 1]
        labels = {None: f"mean of {len(names)} entrypoints"} | {n: n for n in busiest}
    for k, (name, label) in enumerate(labels.items()):
        ys, halves = zip(*(metric_of(p, metric, name) for p in sweep.points), strict=True)
        ys, halves = np.array(ys), np.array(halves)
        colour = PALETTE[k % len(PALETTE)]
        ax.plot(xs, ys, marker="o", color=colour, label=label)
        ax.fill_between(xs, ys - halves, ys + halves, color=colour, alpha=0.2, linewidth=0)
    if log:
        ax.set_xscale("log")
        ax.minorticks_off()  # the swept values label the axis, not 3x10^3 4x10^3 ...
    if log or (unit == "" and not all(isinstance(v, int | float) for v in values)):
        ax.set_xticks(xs, [str(v) for v in values])
    _mark_best(ax, sweep, xs, values, metric)
    ax.set_xlabel(param + unit)
    ax.set_ylabel(METRICS[metric][1])
    ax.set_title(f"phase {sweep.phase}: {metric} (band: 95% CI)")
    ax.legend(loc="best", fontsize="small")
    return ax


def _mark_best(ax: Axes, sweep: SweepResults, xs, values, metric: str) -> None:
    if sweep.best.values is None:
        return
    best = sweep.best.values[sweep.params[0]]
    for x, v, p in zip(xs, values, sweep.points, strict=True):
        if v == best:
            ax.plot(
                [x],
                [metric_of(p, metric)[0]],
                marker="*",
                markersize=16,
                color="black",
                linestyle="none",
                label="best",
            )
            return


def plot_sweep_heatmap(ax: Axes, sweep: SweepResults, metric: str = "goodRate") -> Axes:
    """Two parameters: the metric (mean over entrypoints) on a grid; ✓ where SLOs are met."""
    first, second = sweep.params
    rows = list(dict.fromkeys(p.values[first] for p in sweep.points))
    cols = list(dict.fromkeys(p.values[second] for p in sweep.points))
    grid = np.full((len(rows), len(cols)), np.nan)
    met = np.zeros_like(grid, dtype=bool)
    for p in sweep.points:
        i, j = rows.index(p.values[first]), cols.index(p.values[second])
        grid[i, j] = metric_of(p, metric)[0]
        met[i, j] = p.slo_met
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
    ax.figure.colorbar(image, ax=ax, label=METRICS[metric][1])
    for i in range(len(rows)):
        for j in range(len(cols)):
            text = f"{grid[i, j]:.3g}" + (" ✓" if met[i, j] else "")
            ax.text(j, i, text, ha="center", va="center", fontsize="x-small", color="white")
    if sweep.best.values is not None:
        i, j = rows.index(sweep.best.values[first]), cols.index(sweep.best.values[second])
        ax.add_patch(_box(j, i))
    ax.set_xticks(range(len(cols)), [str(c) for c in cols])
    ax.set_yticks(range(len(rows)), [str(r) for r in rows])
    ax.set_xlabel(second)
    ax.set_ylabel(first)
    ax.set_title(f"phase {sweep.phase}: {metric} (✓ meets every SLO, box: best)")
    return ax


def _box(x: float, y: float) -> Rectangle:
    return Rectangle((x - 0.5, y - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2.5)


def plot_sweep(ax: Axes, sweep: SweepResults, metric: str = "goodRate") -> Axes:
    """A line for one parameter, a heat map for two."""
    if len(sweep.params) == 1:
        return plot_sweep_line(ax, sweep, metric)
    return plot_sweep_heatmap(ax, sweep, metric)


def write_sweep_plot(sweep: SweepResults, path: str, metric: str = "goodRate") -> None:
    """Draw the sweep into a PNG, SVG or HTML file (chosen by the file's extension)."""
    import base64
    import html
    import io
    from pathlib import Path

    from matplotlib.figure import Figure

    from meshsim.files.atomic import write_text_atomically

    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    plot_sweep(fig.add_subplot(), sweep, metric)
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in (".png", ".svg"):
        buffer = io.BytesIO()
        fig.savefig(buffer, format=suffix[1:], dpi=110)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(target)
        return
    if suffix not in (".html", ".htm"):
        raise ValueError(f"{path}: --plot writes .png, .svg or .html")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    image = base64.b64encode(buffer.getvalue()).decode()
    title = html.escape(f"sweep of {', '.join(sweep.params)}: phase {sweep.phase}")
    best = html.escape(sweep.best.why)
    write_text_atomically(
        target,
        f"<!doctype html><meta charset='utf-8'><title>{title}</title><h1>{title}</h1>"
        f"<img alt='{title}' src='data:image/png;base64,{image}'><p>best: {best}</p>\n",
    )
