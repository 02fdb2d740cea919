"""The self-contained HTML report of ``meshsim compare --report``.

One file a user can mail to their team: inline CSS, charts as base64 PNG, no external
URL. It is written atomically (a temporary file in the same directory, then
``os.replace``), so a reader never sees half a report.
"""

from __future__ import annotations

import base64
import html
import io
import os
import tempfile
from collections import Counter
from collections.abc import Mapping
from functools import partial
from pathlib import Path

from matplotlib.figure import Figure

from meshsim.report import plots
from meshsim.report import series as series_plots
from meshsim.report.tables import assumptions_html, beyond_html, plans_html, ranking_html
from meshsim.rollout.graph import layered_layout
from models import Phase, Scenario
from models.results import BlastResults, CompareResults, OrderingResult

__all__ = ["render_report", "write_report"]

_CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1d2330;
margin:0;background:#f4f6f9;line-height:1.45}
main{max-width:1180px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:26px;margin:8px 0 4px}h2{font-size:19px;margin:34px 0 8px;
border-bottom:2px solid #e3e7ee;padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
p.lead{color:#4a5263;margin:0 0 14px}.meta{color:#6b7385;font-size:13px}
.verdict{background:#eef6ee;border-left:5px solid #3a8a3a;padding:12px 16px;margin:16px 0}
.verdict.bad{background:#fbefef;border-left-color:#b03a3a}
table{border-collapse:collapse;font-size:13px;margin:6px 0 10px;width:100%}
th,td{border-bottom:1px solid #e3e7ee;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f0f2f6;font-weight:600}td.num,th.num{text-align:right;
font-variant-numeric:tabular-nums}tr.fail td{color:#9a2a2a}tr.best td{font-weight:600}
.tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:11px;margin-right:3px;
background:#e8ebf1}.tag.strict{background:#dfeadf}.tag.bad{background:#f6dada}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
img{max-width:100%;height:auto}figure{margin:8px 0 4px}figcaption{font-size:12.5px;
color:#5a6273}code,pre{font-family:Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f8fa;padding:8px 10px;overflow-x:auto;border-radius:4px}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0 28px}
"""


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="chart" src="data:image/png;base64,{data}">'


def _figure(img: str, caption: str) -> str:
    return f"<figure>{img}<figcaption>{caption}</figcaption></figure>"


def _slo_ms(scenario: Scenario) -> float | None:
    """The tightest latencyP99 of the entrypoints' SLOs, in ms (None without one)."""
    slos = [scenario.slo_of(e) for e in scenario.entrypoints]
    values = [s.latency_p99 * 1000 for s in slos if s is not None and s.latency_p99]
    return min(values) if values else None


def _phase_charts(results: CompareResults, scenario: Scenario) -> str:
    fig = Figure(figsize=(11.5, 10.5), layout="constrained")
    axes = fig.subplots(3, 2)
    charts = [
        (partial(plots.plot_p99, slo_ms=_slo_ms(scenario)), "Entry p99 latency"),
        (plots.plot_success_rate, "Success rate"),
        (plots.plot_mtls_coverage, "mTLS coverage"),
        (plots.plot_exposure, "Exposure"),
        (plots.plot_proxy_cpu, "Proxy CPU"),
        (plots.plot_proxy_memory, "Proxy memory"),
    ]
    for ax, (plot, title) in zip(axes.flat, charts, strict=True):
        plot(ax, results)
        ax.set_title(title, fontsize=11, loc="left")

    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside upper center", ncols=min(len(labels), 6), frameon=False
    )
    return _figure(
        _png(fig),
        "Each line is one ordering; x = phase (base = nothing meshed). "
        "Values are means over the replications, on the same random numbers.",
    )


def _blast_chart(
    scenario: Scenario,
    best: OrderingResult,
    phases: list[Phase],
    blast: Mapping[str, BlastResults] | None,
) -> str:
    names = [p.name for p in phases]
    if blast:
        values = {
            s.name: [
                blast[n].services[s.name].blast_radius
                if n in blast and s.name in blast[n].services
                else None
                for n in names
            ]
            for s in scenario.services
        }
        caption = "Dynamic blast radius: extra bad entry requests under an outage of the service."
    else:
        values = plots.blast_matrix(scenario, phases)
        caption = (
            f"Structural blast radius of each service once it is meshed, in the "
            f"phases of <b>{html.escape(best.name)}</b>: the share of entry requests "
            "that need it. A blank cell: not meshed yet. Run <code>meshsim blast</code> "
            "for the simulated (dynamic) figure of a phase."
        )
    fig = Figure(figsize=(8.5, 0.9 + 0.36 * len(values)), layout="constrained")
    plots.plot_blast_heatmap(fig.add_subplot(), values, names)
    return _figure(_png(fig), caption)


def _graph_chart(scenario: Scenario, best: OrderingResult, phases: list[Phase]) -> str:
    layers = Counter(x for x, _ in layered_layout(scenario).values())
    depth, rows = max(layers), max(layers.values())
    fig = Figure(figsize=(2.6 + 2.4 * (depth + 1), 1.2 + 0.75 * rows), layout="constrained")
    plots.plot_graph(fig.add_subplot(), scenario, phases)
    return _figure(
        _png(fig),
        f"Call graph coloured by the phase in which each service joins "
        f"the mesh under <b>{html.escape(best.name)}</b>. Left to right: call depth "
        "from the entrypoints (squares). Dashed: optional calls; thick outline: "
        "sensitive service; line width: call probability.",
    )


_SERIES_PHASES = 6
"""Phases of the best ordering drawn over time (the first ones; the JSON has them all)."""


def _series_charts(best: OrderingResult, scenario: Scenario) -> str:
    """Entry success and p99, and attempts per edge, over time in each phase (SPEC §14)."""
    phases = [p for p in best.phases if p.series is not None][:_SERIES_PHASES]
    if not phases:
        return ""
    marks = series_plots.time_marks(scenario)
    parts = []
    for phase in phases:
        series = phase.series
        assert series is not None
        entry = _worst_entry(phase)
        fig = Figure(figsize=(11.5, 3.4), layout="constrained")
        left, right = fig.subplots(1, 2)
        series_plots.plot_entry_series(left, series, entry, marks)
        series_plots.plot_edge_attempts(right, series, 5, marks)
        parts.append(
            _figure(
                _png(fig),
                f"<b>{html.escape(phase.name)}</b> (phase {phase.index}) under "
                f"<b>{html.escape(best.name)}</b>: buckets of {series.bucket_s:g} s, warm-up "
                "included. Red bands: fault windows; blue: load changes (dashed: a step).",
            )
        )
    return "\n".join(parts)


def _worst_entry(phase) -> str:  # noqa: ANN001
    """The entrypoint with the lowest success rate in ``phase`` (first on a tie)."""
    return min(phase.entrypoints, key=lambda n: phase.entrypoints[n].success_rate)


def _verdict(results: CompareResults, scenario: Scenario) -> str:
    by_name = {o.name: o for o in results.orderings}
    best = by_name[results.ranking[0]]
    s = best.score
    why = f" {html.escape(results.verdict)}" if results.verdict else ""
    if s.violations or s.breakages or s.slo_violations:
        problems = [*s.violations]
        if s.breakages:
            problems.append(f"{s.breakages} phase(s) with STRICT breakages or 403 denials")
        if s.slo_violations:
            problems.append(f"{s.slo_violations} SLO violation(s)")
        return (
            '<div class="verdict bad"><b>No ordering is clean.</b> Even the best, '
            f"<b>{html.escape(best.name)}</b>, breaks: {html.escape('; '.join(problems))}. "
            f"Fix the plan, the policies or the constraints before rolling out.{why}</div>"
        )
    return (
        f'<div class="verdict">Recommended ordering: <b>{html.escape(best.name)}</b> '
        f"(strategy {html.escape(best.strategy)}), score <b>{s.score:.1f}</b>, keeping every "
        f"rollout constraint, with no STRICT breakage and no SLO violation.{why}</div>"
    )


def _beyond(best: OrderingResult) -> str:
    table = beyond_html(best)
    if not table:
        return ""
    return (
        "<h3>Cost, authorization and canaries of the best plan</h3>"
        + table
        + '<p class="meta">cost / month = (proxy vCPU × vcpuHour + proxy MiB / 1024 × '
        "gibHour) × 730; denials = attempts refused with 403 by AuthorizationPolicy.</p>"
    )


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def render_report(
    results: CompareResults,
    scenario: Scenario,
    blast: Mapping[str, BlastResults] | None = None,
) -> str:
    """The report as HTML text (see :func:`write_report`)."""
    by_name = {o.name: o for o in results.orderings}
    best = by_name[results.ranking[0]]
    phases = [Phase.model_validate(p) for p in best.plan]
    meta = scenario.metadata
    sim = scenario.simulation
    parts = [
        f"<h1>Mesh rollout plan: {html.escape(meta.name)}</h1>",
        f'<p class="lead">{html.escape(meta.description)}</p>' if meta.description else "",
        f'<p class="meta">{len(results.orderings)} orderings simulated phase by phase, '
        f"{sim.replications} replication(s) of {sim.duration:g} s (seed {sim.seed}), all on "
        "the same random numbers so that differences come from the plans.</p>",
        _verdict(results, scenario),
        "<h2>Ranking</h2>",
        ranking_html(results, scenario),
        "<h2>The plans</h2>",
        plans_html(results),
        "<h2>Phase by phase</h2>",
        _phase_charts(results, scenario),
        "<h2>Over time</h2>" if any(p.series for p in best.phases) else "",
        _series_charts(best, scenario),
        _beyond(best),
        "<h2>Blast radius</h2>",
        _blast_chart(scenario, best, phases, blast),
        "<h2>Dependency graph</h2>",
        _graph_chart(scenario, best, phases),
        "<h2>Assumptions</h2>",
        assumptions_html(scenario),
    ]
    body = "\n".join(p for p in parts if p)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>meshsim: {html.escape(meta.name)}</title><style>{_CSS}</style></head>"
        f"<body><main>\n{body}\n</main></body></html>\n"
    )


def write_report(
    results: CompareResults,
    scenario: Scenario,
    path: str | os.PathLike[str],
    *,
    blast: Mapping[str, BlastResults] | None = None,
) -> Path:
    """Write the comparison as one self-contained HTML file, atomically.

    Parameters
    ----------
    results : CompareResults
        What :func:`meshsim.planning.compare.compare` returned.
    scenario : Scenario
        The scenario compared (for its assumptions and graph).
    path : path-like
        Where to write; the directory must exist.
    blast : mapping of phase name to BlastResults, optional
        Dynamic blast radius per phase of the best ordering; without it the heat map
        shows the structural blast radius.

    Returns
    -------
    Path
        The file written.
    """
    target = Path(path)
    text = render_report(results, scenario, blast)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
