"""``meshsim sweep``: one phase at every combination of one or two parameters (SPEC §15)."""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path

from meshsim.cli.common import add_sim_overrides, progress_bar, write_output
from meshsim.cli.options import add_executor_options, add_set_option, executor_of, workers_of
from meshsim.errors import Problem, ScenarioError
from meshsim.files.overrides import Override, parse_override, read_text
from meshsim.planning.sweep import Param, parse_param, sweep
from models.sweep import METRICS, SweepResults

__all__ = ["format_sweep", "register", "run", "sweep_csv"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand."""
    parser = subparsers.add_parser(
        "sweep",
        help="simulate a phase over a grid of one or two settings and pick the best",
        description="Simulate one phase at every combination of the --param values, on the "
        "same random numbers, and name the best point (docs/tuning.md).",
    )
    parser.add_argument("scenario", help="scenario YAML or JSON file")
    parser.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="PATH=VALUES",
        help="a field and its values: V1,V2,... or LOW..HIGH:COUNT (log-spaced when the "
        "ends are > 0 and 10x apart), e.g. mesh.defaults.retries.perTryTimeout=10ms..500ms:8",
    )
    parser.add_argument("--phase", metavar="NAME|INDEX", help="the phase (default: the last)")
    parser.add_argument("--json", metavar="PATH|-", help="write the sweep document (- = stdout)")
    parser.add_argument("--csv", metavar="PATH", help="write one row per point and entrypoint")
    parser.add_argument("--plot", metavar="PATH", help="draw it: .png, .svg or .html")
    parser.add_argument(
        "--metric",
        choices=list(METRICS),
        default="goodRate",
        help="what the plot shows (default goodRate)",
    )
    add_sim_overrides(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_set_option(parser)
    add_executor_options(parser)
    parser.set_defaults(func=run)


def _sim_sets(args: argparse.Namespace) -> list[Override]:
    out = []
    for name, value in (
        ("seed", args.seed),
        ("replications", args.replications),
        ("duration", None if args.duration is None else f"{args.duration}s"),
    ):
        if value is not None:
            out.append(Override(f"simulation.{name}", value, str(value)))
    return out


def _inputs(args: argparse.Namespace) -> tuple[list[Param], list[Override]]:
    file = str(args.scenario)
    try:
        params = [parse_param(p) for p in args.param]
        sets = [parse_override(s) for s in args.set]
    except ValueError as err:
        raise ScenarioError(file, [Problem("", str(err))]) from err
    return params, [*sets, *_sim_sets(args)]


def run(args: argparse.Namespace) -> int:
    """Sweep, print the points and the best, write JSON/CSV/plot."""
    params, sets = _inputs(args)
    text = read_text(args.scenario)
    if args.plot and Path(args.plot).suffix.lower() not in (".png", ".svg", ".html", ".htm"):
        raise ScenarioError(str(args.plot), [Problem("", "--plot writes .png, .svg or .html")])
    update, close = progress_bar("sweeping", args.quiet or args.json == "-")
    started = time.perf_counter()
    try:
        with executor_of(args) as executor:
            result = sweep(
                text,
                str(args.scenario),
                params,
                sets=sets,
                phase=args.phase,
                workers=workers_of(args),
                executor=executor,
                on_progress=update,
            )
    finally:
        close()
    elapsed = time.perf_counter() - started
    if args.csv:
        write_output(args.csv, sweep_csv(result))
    if args.plot:
        from meshsim.report.sweep_plots import write_sweep_plot  # matplotlib: only for a plot

        write_sweep_plot(result, args.plot, args.metric)
    if args.json:
        write_output(args.json, result.model_dump_json(by_alias=True, indent=2))
    if args.json != "-":
        print(format_sweep(result))
    print(f"{len(result.points)} points simulated in {elapsed:.1f} s", file=sys.stderr)
    return 0


def sweep_csv(result: SweepResults) -> str:
    """One row per point and entrypoint."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    head = [*result.params, "entrypoint", "requests", "successRate", "goodRate", "p50Ms"]
    head += ["p99Ms", "sloMet", "retryAmplification", "proxyCpuCores"]
    writer.writerow(head)
    for p in result.points:
        for name, e in p.entrypoints.items():
            writer.writerow(
                [
                    *(p.values[k] for k in result.params),
                    name,
                    e.requests,
                    e.success_rate,
                    e.good_rate,
                    e.latency_ms.p50,
                    e.latency_ms.p99,
                    e.slo_met,
                    p.retry_amplification,
                    p.proxy_cpu_cores,
                ]
            )
    return buffer.getvalue()


def format_sweep(result: SweepResults) -> str:
    """The table ``meshsim sweep`` prints: one row per point, then the best and why."""
    head = [*result.params, "good %", "ok %", "worst p99 ms", "retry x", "CPU", "SLO"]
    rows = [head]
    for p in result.points:
        ok = sum(e.success_rate for e in p.entrypoints.values()) / max(1, len(p.entrypoints))
        rows.append(
            [
                *(str(p.values[k]) for k in result.params),
                f"{100 * p.good_rate:.2f}",
                f"{100 * ok:.2f}",
                "-" if p.p99_ms is None else f"{p.p99_ms:.1f}",
                f"{p.retry_amplification:.2f}",
                f"{p.proxy_cpu_cores:.2f}",
                "yes" if p.slo_met else "NO",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        f"phase {result.phase}: {len(result.points)} points, {result.replications} "
        "replication(s) each on the same random numbers"
    ]
    for k, row in enumerate(rows):
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    if result.best.values is None:
        lines.append(f"best: none - {result.best.why}")
    else:
        shown = ", ".join(f"{k}={v}" for k, v in result.best.values.items())
        lines.append(f"best: {shown} - {result.best.why}")
    return "\n".join(lines)
