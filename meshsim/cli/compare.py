"""``meshsim compare``: simulate candidate orderings, print the ranking (SPEC §12)."""

from __future__ import annotations

import argparse
import sys

from meshsim.cli.common import (
    add_json_option,
    add_sim_overrides,
    load_with_overrides,
    progress_bar,
    refuse_if_too_big,
    write_output,
)
from meshsim.planning.compare import compare
from meshsim.report.html import write_report
from models import STRATEGIES
from models.results import CompareResults, OrderingResult

__all__ = ["format_ranking", "register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` subcommand."""
    parser = subparsers.add_parser(
        "compare",
        help="simulate rollout orderings and rank them",
        description="Simulate the scenario's named orderings and generated strategies phase "
        "by phase on the same random numbers, and rank them (docs/planning.md).",
    )
    parser.add_argument("scenario", help="scenario YAML or JSON file")
    parser.add_argument(
        "--strategy",
        action="extend",
        nargs="+",
        choices=STRATEGIES,
        metavar="NAME",
        help=f"strategy to generate (repeatable; default all): {', '.join(STRATEGIES)}",
    )
    parser.add_argument(
        "--phase-count",
        type=int,
        default=4,
        metavar="K",
        help="phases of generated orderings (default 4)",
    )
    add_json_option(parser)
    parser.add_argument("--report", metavar="PATH.html", help="write the HTML report there")
    add_sim_overrides(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compare the orderings and print the ranking (or the JSON document)."""
    scenario = load_with_overrides(args)
    plans = len(args.strategy or STRATEGIES) + len(scenario.orderings)
    refuse_if_too_big(scenario, args.workers, phases=args.phase_count + 1, plans=plans)
    update, close = progress_bar("comparing", args.quiet or args.json == "-")
    try:
        results = compare(
            scenario,
            strategies=args.strategy,
            phase_count=args.phase_count,
            workers=args.workers,
            on_progress=update,
        )
    finally:
        close()
    if args.report:
        write_report(results, scenario, args.report)
        print(f"report written to {args.report}", file=sys.stderr)
    if args.json:
        write_output(args.json, results.model_dump_json(by_alias=True, indent=2))
        if args.json == "-":
            return 0
    print(format_ranking(results, scenario.metadata.name))
    return 0


def _plan_lines(ordering: OrderingResult) -> list[str]:
    lines = []
    for k, phase in enumerate(ordering.plan, start=1):
        names = [*phase.get("services", []), *(f"ns:{n}" for n in phase.get("namespaces", []))]
        extra = []
        if phase.get("gateway"):
            extra.append("gateway")
        strict = [r.get("name") or "mesh" for r in phase.get("mtls", []) if r["mode"] == "STRICT"]
        if strict:
            extra.append("STRICT " + ", ".join(strict))
        tail = f"  [{'; '.join(extra)}]" if extra else ""
        lines.append(f"  {k}. {phase.get('name')}: {', '.join(names) or '-'}{tail}")
    return lines


def format_ranking(results: CompareResults, scenario: str = "") -> str:
    """The ranking table ``meshsim compare`` prints, then the winning plan."""
    by_name = {o.name: o for o in results.orderings}
    head = [
        "#",
        "ordering",
        "strategy",
        "score",
        "breaks",
        "SLO miss",
        "mean exp %",
        "max exp %",
        "mTLS AUC %",
        "sens mTLS %",
        "peak vCPU",
        "p99 Δ ms",
    ]
    rows = [head]
    for i, name in enumerate(results.ranking, start=1):
        o, s = by_name[name], by_name[name].score
        rows.append(
            [
                str(i),
                name,
                o.strategy,
                f"{s.score:.1f}",
                str(s.breakages),
                str(s.slo_violations),
                f"{100 * s.mean_exposure:.0f}",
                f"{100 * s.max_exposure:.0f}",
                f"{100 * s.mtls_auc:.0f}",
                f"{100 * s.sensitive_mtls_auc:.0f}",
                f"{s.peak_proxy_cpu_cores:.2f}",
                f"{s.p99_delta_ms:+.1f}",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        f"{scenario}: {len(results.orderings)} orderings ranked, best first "
        "(breakages and SLO misses rank last; score out of 100, docs/planning.md)"
    ]
    for k, row in enumerate(rows):
        lines.append(
            "  ".join(
                c.ljust(w) if i in (1, 2) else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    best = by_name[results.ranking[0]]
    lines += ["", f"{best.name}:", *_plan_lines(best)]
    return "\n".join(lines)
