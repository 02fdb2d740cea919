"""``meshsim run``: simulate the baseline and each phase, print a table or JSON."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from pydantic import ValidationError

from meshsim.cli.capacity import warn_overload
from meshsim.cli.common import (
    add_json_option,
    add_sim_overrides,
    duration_arg,
    load_with_overrides,
    progress_bar,
    refuse_if_too_big,
    write_output,
)
from meshsim.cli.options import add_executor_options, add_set_option, executor_of, workers_of
from meshsim.errors import SimulationError
from meshsim.report.series import series_csv
from meshsim.rollout.state import resolve_phase
from meshsim.sim.runner import RunRequest, needs_baseline, run_many
from models import Scenario, format_duration
from models.results import PhaseResult, Results

__all__ = [
    "DEFAULT_WORST",
    "add_entrypoint_options",
    "entrypoint_choice",
    "format_table",
    "register",
    "run",
    "with_series",
    "worst_entrypoints",
]

DEFAULT_WORST = 10
"""Entrypoints the table shows by default: the worst ones, then a totals row."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser("run", help="simulate the baseline and every phase")
    parser.add_argument("scenario", help="scenario YAML or JSON file")
    parser.add_argument(
        "--phase",
        action="extend",
        nargs="+",
        metavar="NAME|INDEX",
        help="only this phase (repeatable; 0 = baseline)",
    )
    add_sim_overrides(parser)
    add_json_option(parser)
    parser.add_argument(
        "--series",
        nargs="?",
        const="1s",
        type=duration_arg,
        metavar="WIDTH",
        help="record time series with buckets of WIDTH (default 1s; SPEC §14)",
    )
    parser.add_argument(
        "--series-csv",
        metavar="PATH",
        help="write the time series as rows phase,t,kind,name,metric,value ('-' = stdout)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_entrypoint_options(parser)
    add_set_option(parser)
    add_executor_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the scenario and print the results."""
    scenario = with_series(load_with_overrides(args), args)
    warn_overload(scenario)
    choice = entrypoint_choice(args, [e.name for e in scenario.entrypoints])
    indexes = None
    if args.phase:
        indexes = sorted({resolve_phase(scenario, token) for token in args.phase})
    judged = bool(indexes) and needs_baseline(scenario, indexes or ())  # simulated too
    phases = len(indexes) + judged if indexes else None
    refuse_if_too_big(scenario, args.workers, phases=phases)
    label = "simulating (and the baseline, the SLO yardstick)" if judged else "simulating"
    update, close = progress_bar(label, args.quiet or args.json == "-")
    try:
        results = _simulate(args, scenario, indexes, update)
    finally:
        close()
    if args.series_csv:
        write_output(args.series_csv, series_csv(results))
    if args.json:
        write_output(args.json, results.model_dump_json(by_alias=True, indent=2))
    if args.json == "-" or args.series_csv == "-":
        return 0
    print(format_table(results, **choice))
    return 0


def with_series(scenario: Scenario, args: argparse.Namespace) -> Scenario:
    """The scenario with ``simulation.series`` set by ``--series`` (or ``--series-csv``).

    ``--series-csv`` alone keeps the scenario's width, or 1 s when it has none.
    """
    width = getattr(args, "series", None)
    if width is None and getattr(args, "series_csv", None):
        width = scenario.simulation.series or 1.0
    if width is None or width == scenario.simulation.series:
        return scenario
    data = scenario.model_dump(by_alias=True, exclude_unset=True)
    data.setdefault("simulation", {})["series"] = format_duration(width)
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())
        raise SimulationError(f"{args.scenario}: with --series: {reasons}") from err


def _simulate(
    args: argparse.Namespace,
    scenario: Scenario,
    indexes: list[int] | None,
    on_progress: Callable[[float], None],
) -> Results:
    """Run on the executor ``--executor``/``--scheduler`` ask for (SPEC §19)."""
    request = RunRequest(scenario, phase_indexes=None if indexes is None else tuple(indexes))
    with executor_of(args) as executor:
        return run_many(
            [request], workers=workers_of(args), on_progress=on_progress, executor=executor
        )[0]


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def add_entrypoint_options(parser: argparse.ArgumentParser) -> None:
    """``--worst N``, ``--entrypoint NAME`` (repeatable) and ``--all`` for the table."""
    parser.add_argument(
        "--entrypoint",
        action="append",
        metavar="NAME",
        help="show this entrypoint (repeatable); default the worst ones",
    )
    parser.add_argument(
        "--worst",
        type=int,
        default=DEFAULT_WORST,
        metavar="N",
        help=f"show the N worst entrypoints (default {DEFAULT_WORST})",
    )
    parser.add_argument("--all", action="store_true", help="show every entrypoint")


def entrypoint_choice(args: argparse.Namespace, known: list[str]) -> dict[str, object]:
    """Keyword arguments of :func:`format_table` from ``--entrypoint/--worst/--all``.

    ``known`` are the scenario's entrypoint names; check before simulating.

    Raises
    ------
    SimulationError
        For an ``--entrypoint`` the scenario does not have, or ``--worst`` below 1.
    """
    names = getattr(args, "entrypoint", None)
    if names:
        unknown = [n for n in names if n not in known]
        if unknown:
            listed = ", ".join(known[:10]) + (" ..." if len(known) > 10 else "")
            raise SimulationError(f"unknown entrypoint {unknown[0]!r}; known: {listed}")
        return {"entrypoints": list(dict.fromkeys(names))}
    if getattr(args, "all", False):
        return {"worst": None}
    worst = getattr(args, "worst", DEFAULT_WORST)
    if worst < 1:
        raise SimulationError(f"--worst must be at least 1 (got {worst})")
    return {"worst": worst}


def worst_entrypoints(results: Results, n: int | None) -> list[str]:
    """Entrypoints worst first: lowest success rate in any phase, then highest p99.

    Entrypoints without a measured request in any phase come last.
    ``n`` None keeps them all. The order is the same in every phase, so a row can
    be followed down the table.
    """
    names = list(results.phases[0].entrypoints) if results.phases else []

    def badness(name: str) -> tuple[bool, float, float, int]:
        entries = [p.entrypoints[name] for p in results.phases if name in p.entrypoints]
        measured = [e for e in entries if e.requests > 0]
        success = min((e.success_rate for e in measured), default=1.0)
        p99 = max((e.latency_ms.p99 or 0.0 for e in measured), default=0.0)
        # an entrypoint with no measured request says nothing: it goes last
        return (not measured, success, -p99, names.index(name))

    if len(names) <= (DEFAULT_WORST if n is None else n):
        return names  # all of them, and few: keep the document's order
    ranked = sorted(names, key=badness)
    return ranked if n is None else ranked[:n]


def _phase_cells(phase: PhaseResult, extra: tuple[str, ...] = ()) -> list[str]:
    cells = [
        f"{phase.retry_amplification:.2f}",
        f"{phase.mtls_coverage * 100:.0f}",
        str(phase.proxies),
        f"{phase.proxy_cpu_cores:.2f}",
        f"{phase.proxy_memory_mi_b:.0f}",
        f"{phase.exposure * 100:.0f}",
        f"{phase.breakages:.0f}",
    ]
    if "denials" in extra:
        cells.append("-" if phase.denials is None else f"{phase.denials:.0f}")
    if "cost/month" in extra:
        cost = phase.proxy_cost_per_month
        cells.append("-" if cost is None else f"{cost:.2f}")
    return cells


def extra_columns(results: Results) -> tuple[str, ...]:
    """SPEC §20 columns the table adds when a phase has them: denials, cost/month."""
    phases = results.phases
    out = []
    if any(p.denials is not None for p in phases):
        out.append("denials")
    if any(p.proxy_cost_per_month is not None for p in phases):
        out.append("cost/month")
    return tuple(out)


def canary_lines(results: Results) -> list[str]:
    """One line per canary service and phase: its share and meshed vs plain replicas."""
    lines = []
    for phase in results.phases:
        for name, share in (phase.canary or {}).items():
            svc = phase.services.get(name)
            if svc is None or svc.meshed is None or svc.plain is None:
                continue
            groups = "; ".join(
                f"{label} {g.replicas} replica(s): {g.attempts:.0f} tries, {g.failures:.0f} failed"
                for label, g in (("meshed", svc.meshed), ("plain", svc.plain))
            )
            lines.append(f"canary {phase.name}: {name} {share * 100:g}% -- {groups}")
    return lines


def _verdict(met: bool | None) -> str:
    """The sloMet cell: "—" when no SLO applies (no declared SLO, no baseline)."""
    return "—" if met is None else ("yes" if met else "NO")


def _phase_rows(
    phase: PhaseResult, names: list[str], extra: tuple[str, ...] = ()
) -> list[list[str]]:
    rows = []
    for name in names:
        e = phase.entrypoints[name]
        rows.append(
            [
                str(phase.index),
                phase.name,
                str(len(phase.meshed)),
                name,
                f"{e.requests:.0f}",
                f"{e.success_rate * 100:.2f}" if e.requests else "-",
                _fmt(e.latency_ms.p50),
                _fmt(e.latency_ms.p99),
                _verdict(e.slo_met),
                *_phase_cells(phase, extra),
            ]
        )
    return rows


def _total_row(phase: PhaseResult, extra: tuple[str, ...] = ()) -> list[str]:
    """All entrypoints of a phase: requests summed, success weighted by requests."""
    entries = list(phase.entrypoints.values())
    requests = sum(e.requests for e in entries)
    ok = sum(e.success_rate * e.requests for e in entries) / requests if requests else 0.0
    worst_p99 = max((e.latency_ms.p99 or 0.0) for e in entries) if entries else None
    judged = [e.slo_met for e in entries if e.slo_met is not None]
    return [
        str(phase.index),
        phase.name,
        str(len(phase.meshed)),
        f"total of {len(entries)}",
        f"{requests:.0f}",
        f"{ok * 100:.2f}",
        "-",
        _fmt(worst_p99),
        f"{sum(judged)}/{len(judged)}" if judged else "—",
        *_phase_cells(phase, extra),
    ]


def format_table(
    results: Results,
    *,
    entrypoints: list[str] | None = None,
    worst: int | None = DEFAULT_WORST,
) -> str:
    """The per-phase table ``meshsim run`` prints (one row per phase and entrypoint).

    Parameters
    ----------
    results : Results
        What ``run_scenario`` returned.
    entrypoints : list of str, optional
        Show these entrypoints (``--entrypoint``); else the ``worst`` ones.
    worst : int or None
        How many of the worst entrypoints to show; None shows all (``--all``).
        With more than one entrypoint every phase ends with a totals row (all
        entrypoints: requests summed, success weighted by requests, the highest
        p99, SLOs met out of those that apply).
    """
    total = len(results.phases[0].entrypoints) if results.phases else 0
    names = entrypoints if entrypoints is not None else worst_entrypoints(results, worst)
    head = [
        "#",
        "phase",
        "meshed",
        "entry",
        "requests",
        "ok %",
        "p50 ms",
        "p99 ms",
        "SLO",
        "retry x",
        "mTLS %",
        "proxies",
        "CPU",
        "MiB",
        "exposure %",
        "breakages",
    ]
    extra = extra_columns(results)
    head += list(extra)
    rows = [head]
    for phase in results.phases:
        rows += _phase_rows(phase, names, extra)
        if total > 1:
            rows.append(_total_row(phase, extra))
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        f"{results.scenario}: seed {results.seed}, {results.replications} replication(s) of "
        f"{results.duration_s:g}s (warm-up {results.warmup_s:g}s); values are means"
        + (" (95% CIs in --json)" if results.replications > 1 else "")
    ]
    if len(names) < total:
        how = "chosen" if entrypoints is not None else "worst (lowest ok %, then highest p99)"
        lines.append(
            f"{len(names)} {how} of {total} entrypoints; --all shows every one, "
            "--entrypoint NAME picks"
        )
    for k, row in enumerate(rows):
        cells = [
            c.ljust(w) if i in (1, 3) else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(
        "CPU = proxy vCPU at this load; exposure = share of requests touching a service "
        "onboarded in that phase; breakages = attempts refused by STRICT mTLS; SLO — = none "
        "applies (an entrypoint without one is judged against the baseline: p99 +max(20%, "
        "5 ms), errors +1 point, once it has 20 requests)."
        + (" total: every entrypoint, p99 the highest, SLO met/judged." if total > 1 else "")
    )
    if extra:
        lines.append(
            "denials = attempts refused with 403 by AuthorizationPolicy (- = none in force); "
            "cost/month = (CPU × vcpuHour + MiB / 1024 × gibHour) × 730"
        )
    lines += canary_lines(results)
    return "\n".join(lines)
