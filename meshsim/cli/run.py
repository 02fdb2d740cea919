"""``meshsim run``: simulate the baseline and each phase, print a table or JSON."""

from __future__ import annotations

import argparse

from meshsim.cli.common import (
    add_json_option,
    add_sim_overrides,
    load_with_overrides,
    progress_bar,
    refuse_if_too_big,
    write_output,
)
from meshsim.rollout.state import resolve_phase
from meshsim.sim.runner import run_scenario
from models.results import PhaseResult, Results

__all__ = ["format_table", "register", "run"]


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
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the scenario and print the results."""
    scenario = load_with_overrides(args)
    indexes = None
    if args.phase:
        indexes = sorted({resolve_phase(scenario, token) for token in args.phase})
    refuse_if_too_big(scenario, args.workers, phases=len(indexes) if indexes else None)
    update, close = progress_bar("simulating", args.quiet or args.json == "-")
    try:
        results = run_scenario(
            scenario, phase_indexes=indexes, workers=args.workers, on_progress=update
        )
    finally:
        close()
    if args.json:
        write_output(args.json, results.model_dump_json(by_alias=True, indent=2))
        if args.json == "-":
            return 0
    print(format_table(results))
    return 0


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _phase_rows(phase: PhaseResult) -> list[list[str]]:
    rows = []
    for name, e in phase.entrypoints.items():
        rows.append(
            [
                str(phase.index),
                phase.name,
                str(len(phase.meshed)),
                name,
                f"{e.requests:.0f}",
                f"{e.success_rate * 100:.2f}",
                _fmt(e.latency_ms.p50),
                _fmt(e.latency_ms.p99),
                "yes" if e.slo_met else "NO",
                f"{phase.retry_amplification:.2f}",
                f"{phase.mtls_coverage * 100:.0f}",
                str(phase.proxies),
                f"{phase.proxy_cpu_cores:.2f}",
                f"{phase.proxy_memory_mi_b:.0f}",
                f"{phase.exposure * 100:.0f}",
                f"{phase.breakages:.0f}",
            ]
        )
    return rows


def format_table(results: Results) -> str:
    """The per-phase table ``meshsim run`` prints (one row per phase and entrypoint)."""
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
    rows = [head] + [row for phase in results.phases for row in _phase_rows(phase)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        f"{results.scenario}: seed {results.seed}, {results.replications} replication(s) of "
        f"{results.duration_s:g}s (warm-up {results.warmup_s:g}s); values are means"
        + (" (95% CIs in --json)" if results.replications > 1 else "")
    ]
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
        "onboarded in that phase; breakages = attempts refused by STRICT mTLS."
    )
    return "\n".join(lines)
