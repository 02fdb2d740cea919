"""Charts shared by the HTML report and the GUI: plain functions ``plot_x(ax, data) -> Axes``.

No pyplot here: callers make a :class:`matplotlib.figure.Figure` (the report with the
Agg backend, the GUI with the Qt canvas) and pass its axes. Each ordering keeps the
same colour in every chart (its position in the comparison).

Where the results carry a 95% confidence half-width (``ci95``, two replications or
more), the line gets a band of its colour: two lines whose bands overlap differ by
less than the noise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.patches import FancyArrowPatch, Patch

from meshsim.rollout.graph import CallTable, call_graph, layered_layout
from meshsim.rollout.state import join_phases
from models import Phase, Scenario
from models.results import CompareResults, OrderingResult, PhaseResult, Results

__all__ = [
    "PALETTE",
    "blast_matrix",
    "plot_blast_heatmap",
    "plot_exposure",
    "plot_graph",
    "plot_mtls_coverage",
    "plot_p99",
    "plot_proxy_cpu",
    "plot_proxy_memory",
    "plot_success_rate",
]

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
"""Colours of orderings, in comparison order (matplotlib's tab10)."""

_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_STYLES = ("-", "--", "-.", ":")

PhaseData = CompareResults | Results | Sequence[OrderingResult]


def _series(data: PhaseData) -> list[tuple[str, list[PhaseResult]]]:
    if isinstance(data, Results):
        return [(data.scenario, list(data.phases))]
    orderings = data.orderings if isinstance(data, CompareResults) else data
    return [(o.name, list(o.phases)) for o in orderings]


def _plot_phases(
    ax: Axes,
    data: PhaseData,
    value: Callable[[PhaseResult], float | None],
    ylabel: str,
    *,
    percent: bool = False,
    ci: Callable[[PhaseResult], float | None] | None = None,
) -> Axes:
    longest: list[PhaseResult] = []
    scale = 100 if percent else 1
    for i, (label, phases) in enumerate(_series(data)):
        xs = [p.index for p in phases]
        ys = [np.nan if (v := value(p)) is None else v * scale for p in phases]
        if ci is not None:
            half = [np.nan if (h := ci(p)) is None else h * scale for p in phases]
            if any(np.isfinite(h) and h > 0 for h in half):
                low = np.asarray(ys, dtype=float) - np.nan_to_num(half)
                high = np.asarray(ys, dtype=float) + np.nan_to_num(half)
                ax.fill_between(
                    xs, low, high, color=PALETTE[i % len(PALETTE)], alpha=0.15, linewidth=0
                )
        ax.plot(
            xs,
            ys,
            marker=_MARKERS[i % len(_MARKERS)],
            markersize=4,
            linewidth=1.6,
            label=label,
            color=PALETTE[i % len(PALETTE)],
            linestyle=_STYLES[(i // len(PALETTE) + i) % len(_STYLES)],
            alpha=0.9,
        )
        longest = phases if len(phases) > len(longest) else longest
    ax.set_xticks([p.index for p in longest])
    ax.set_xticklabels(["base" if p.index == 0 else str(p.index) for p in longest])
    ax.set_xlabel("phase")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if percent:
        ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
    return ax


def _worst_p99(phase: PhaseResult, entrypoint: str | None) -> float | None:
    entries = phase.entrypoints
    if entrypoint is not None:
        return entries[entrypoint].latency_ms.p99 if entrypoint in entries else None
    values = [e.latency_ms.p99 for e in entries.values() if e.latency_ms.p99 is not None]
    return max(values) if values else None


def _worst_p99_ci(phase: PhaseResult, entrypoint: str | None) -> float | None:
    entries = phase.entrypoints
    if entrypoint is None:
        timed = [(e.latency_ms.p99, n) for n, e in entries.items() if e.latency_ms.p99 is not None]
        if not timed:
            return None
        entrypoint = max(timed)[1]
    entry = entries.get(entrypoint)
    return None if entry is None else entry.ci95.get("latencyMs.p99")


def _success_ci(phase: PhaseResult) -> float | None:
    """Half-width of the request-weighted success rate (weighted half-widths, an upper bound)."""
    total = sum(e.requests for e in phase.entrypoints.values())
    if not total:
        return None
    return (
        sum(e.requests * e.ci95.get("successRate", 0.0) for e in phase.entrypoints.values()) / total
    )


def _success(phase: PhaseResult) -> float | None:
    total = sum(e.requests for e in phase.entrypoints.values())
    if not total:
        return None
    return sum(e.requests * e.success_rate for e in phase.entrypoints.values()) / total


def plot_p99(
    ax: Axes, data: PhaseData, entrypoint: str | None = None, *, slo_ms: float | None = None
) -> Axes:
    """Entry p99 latency (ms) per phase: of ``entrypoint``, or the worst entrypoint.

    ``slo_ms`` draws the SLO's latencyP99 as a dashed line. The axis turns logarithmic
    when the values span more than 30x (an overloaded phase would flatten the others).
    """
    label = f"p99 of {entrypoint} (ms)" if entrypoint else "entry p99, worst entrypoint (ms)"
    _plot_phases(
        ax,
        data,
        lambda p: _worst_p99(p, entrypoint),
        label,
        ci=lambda p: _worst_p99_ci(p, entrypoint),
    )
    values = [y for line in ax.get_lines() for y in line.get_ydata() if y > 0]
    if slo_ms is not None:
        ax.axhline(slo_ms, color="#b03a3a", linestyle="--", linewidth=1.0, label="_slo")
        ax.annotate(
            f"SLO {slo_ms:g} ms",
            (1.0, slo_ms),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 3),
            textcoords="offset points",
            ha="right",
            fontsize=8,
            color="#b03a3a",
        )
    if values and max(values) > 30 * min(values):
        ax.set_yscale("log")
        ax.set_ylabel(label + ", log scale")
    return ax


def plot_success_rate(ax: Axes, data: PhaseData) -> Axes:
    """Share of entry requests that succeed (%), all entrypoints weighted by requests.

    The axis starts near the lowest value, not at 0: 99.9% and 99% must look different.
    """
    _plot_phases(ax, data, _success, "entry success rate (%)", percent=True, ci=_success_ci)
    ys = [y for line in ax.get_lines() for y in line.get_ydata() if np.isfinite(y)]
    low = min(ys, default=100.0)
    bottom = max(0.0, low - max(0.5, (100 - low) * 0.15))
    ax.set_ylim(bottom, 100 + 0.03 * (100 - bottom))
    return ax


def plot_mtls_coverage(ax: Axes, data: PhaseData) -> Axes:
    """Plot the mTLS coverage (% of service-to-service attempts) per phase."""
    _plot_phases(ax, data, lambda p: p.mtls_coverage, "mTLS coverage (%)", percent=True)
    ax.set_ylim(top=105)
    return ax


def plot_proxy_cpu(ax: Axes, data: PhaseData) -> Axes:
    """Plot the vCPU used by the proxies per phase."""
    return _plot_phases(
        ax,
        data,
        lambda p: p.proxy_cpu_cores,
        "proxy CPU (vCPU)",
        ci=lambda p: p.ci95.get("proxyCpuCores"),
    )


def plot_proxy_memory(ax: Axes, data: PhaseData) -> Axes:
    """Memory of the proxies (MiB) per phase."""
    return _plot_phases(ax, data, lambda p: p.proxy_memory_mi_b, "proxy memory (MiB)")


def plot_exposure(ax: Axes, data: PhaseData) -> Axes:
    """Exposure per phase (% of entry requests touching a service onboarded in it)."""
    _plot_phases(
        ax,
        data,
        lambda p: p.exposure,
        "exposure (%)",
        percent=True,
        ci=lambda p: p.ci95.get("exposure"),
    )
    ax.set_ylim(top=105)
    return ax


def blast_matrix(scenario: Scenario, phases: Sequence[Phase]) -> dict[str, list[float | None]]:
    """Structural blast radius of each service in each phase where it is meshed.

    ``None`` where the service is not meshed yet: the matrix shows how much of the
    traffic depends on meshed services as the rollout proceeds.
    """
    structural = CallTable.from_scenario(scenario).structural_blast_radius()
    joined = join_phases(scenario, phases)
    return {
        s.name: [
            structural[s.name] if joined.get(s.name, 1 << 30) <= k else None
            for k in range(1, len(phases) + 1)
        ]
        for s in scenario.services
    }


def plot_blast_heatmap(
    ax: Axes, values: Mapping[str, Sequence[float | None]], phases: Sequence[str]
) -> Axes:
    """Heat map of blast radius: services (rows) × phases (columns), in % of requests.

    ``None`` cells (not measured, or not meshed) are left blank.
    """
    names = list(values)
    grid = np.array(
        [[np.nan if v is None else 100 * v for v in values[n]] for n in names], dtype=float
    ).reshape(len(names), len(phases))
    image = ax.imshow(grid, aspect="auto", cmap="OrRd", vmin=0, vmax=100)
    ax.set_xticks(range(len(phases)), labels=list(phases), rotation=30, ha="right")
    ax.set_yticks(range(len(names)), labels=names)
    for (i, j), v in np.ndenumerate(grid):
        if not np.isnan(v):
            ax.text(
                j,
                i,
                f"{v:.0f}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if v > 60 else "black",
            )
    ax.figure.colorbar(image, ax=ax, label="% of entry requests")
    return ax


_PHASE_COLOURS = ListedColormap(
    ["#4e79a7", "#b07aa1", "#76b7b2", "#9c755f", "#ff9da7", "#6b6ecf", "#bcbd22", "#17becf"]
)
"""The app's phase colours (ui/palette.py): no orange, red or green, which mean failures."""
_NEVER = "#bbbbbb"


def plot_graph(ax: Axes, scenario: Scenario, phases: Sequence[Phase] | None = None) -> Axes:
    """The call graph, layered by call depth, each service coloured by the phase it joins.

    Entrypoints are the grey squares at the left; dashed edges are optional calls, line
    width grows with the call probability, and sensitive services have a thick outline.
    """
    phases = list(scenario.rollout.phases if phases is None else phases)
    pos = layered_layout(scenario)
    joined = join_phases(scenario, phases)
    g = call_graph(scenario, entrypoints=True)
    for u, v, data in g.edges(data=True):
        if u != v:
            ax.add_patch(
                FancyArrowPatch(
                    pos[u],
                    pos[v],
                    arrowstyle="-|>",
                    mutation_scale=10,
                    shrinkA=11,
                    shrinkB=11,
                    color="#888888",
                    linewidth=0.6 + 1.4 * min(1.0, data["probability"]),
                    linestyle="--" if data["optional"] else "-",
                    connectionstyle="arc3,rad=0.08",
                )
            )
    for node, (x, y) in pos.items():
        _draw_node(ax, node, (x, y), joined.get(node), bool(g.nodes[node].get("sensitive")))
    handles = [
        Patch(color=_PHASE_COLOURS((k - 1) % _PHASE_COLOURS.N), label=f"{k}: {p.name}")
        for k, p in enumerate(phases, start=1)
    ]
    if any(s.name not in joined for s in scenario.services):
        handles.append(Patch(color=_NEVER, label="never meshed"))
    ax.legend(
        handles=handles,
        title="joins in phase",
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=8,
        title_fontsize=8,
        frameon=False,
    )
    xs, ys = zip(*pos.values(), strict=True)
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.6)
    ax.set_axis_off()
    return ax


def _draw_node(
    ax: Axes, node: str, xy: tuple[float, float], k: int | None, sensitive: bool
) -> None:
    entry = node.startswith("@")
    colour = _NEVER if entry or k is None else _PHASE_COLOURS((k - 1) % _PHASE_COLOURS.N)
    ax.scatter(
        [xy[0]],
        [xy[1]],
        s=200 if entry else 260,
        marker="s" if entry else "o",
        color=colour,
        edgecolors="black",
        linewidths=1.8 if sensitive else 0.5,
        zorder=3,
    )
    ax.annotate(
        node,
        xy,
        xytext=(0, -14),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=8,
        zorder=4,
    )
