"""``meshsim compare``: simulate candidate orderings, print the ranking (SPEC §12)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from meshsim.cli.common import (
    add_json_option,
    add_sim_overrides,
    load_with_overrides,
    progress_bar,
    refuse_if_too_big,
    write_output,
)
from meshsim.cli.options import add_executor_options, add_set_option, executor_of, workers_of
from meshsim.errors import SimulationError
from meshsim.planning.compare import DEFAULT_MAX_REPLICATIONS, compare
from meshsim.planning.explain import LABELS
from models import STRATEGIES
from models.results import CompareResults, OrderingResult, OrderingScore

__all__ = ["format_explanation", "format_ranking", "register", "run"]


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
    parser.add_argument(
        "--explain",
        action="store_true",
        help="also print each ordering's points per score term and why the best wins",
    )
    parser.add_argument(
        "--max-replications",
        type=int,
        default=None,
        metavar="N",
        help="add replications to the leading orderings until the best is ahead with 95%% "
        f"confidence, up to N each (default {DEFAULT_MAX_REPLICATIONS}; "
        "at most simulation.replications disables it)",
    )
    add_sim_overrides(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_set_option(parser)
    add_executor_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Compare the orderings and print the ranking (or the JSON document)."""
    scenario = load_with_overrides(args)
    if args.max_replications is not None and args.max_replications < 1:
        raise SimulationError(
            f"--max-replications must be at least 1 (got {args.max_replications})"
        )
    max_reps = args.max_replications or DEFAULT_MAX_REPLICATIONS
    plans = len(args.strategy or STRATEGIES) + len(scenario.orderings)
    refuse_if_too_big(scenario, args.workers, phases=args.phase_count + 1, plans=plans)
    update, close = progress_bar("comparing", args.quiet or args.json == "-")
    try:
        with executor_of(args) as executor:
            results = compare(
                scenario,
                strategies=args.strategy,
                phase_count=args.phase_count,
                workers=workers_of(args),
                on_progress=update,
                max_replications=max_reps,
                executor=executor,
            )
    finally:
        close()
    if args.report:
        from meshsim.report.html import write_report  # matplotlib: only for a report

        write_report(results, scenario, args.report)
        print(f"report written to {args.report}", file=sys.stderr)
    if args.json:
        write_output(args.json, results.model_dump_json(by_alias=True, indent=2))
        if args.json == "-":
            return 0
    print(format_ranking(results, scenario.metadata.name))
    if args.explain:
        print()
        print(format_explanation(results))
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
        canary = phase.get("canary") or {}
        if canary:
            extra.append("canary " + ", ".join(f"{n} {v:.0%}" for n, v in canary.items()))
        if phase.get("clusters"):
            extra.append("clusters " + ", ".join(phase["clusters"]))
        authz = [r.get("service") or f"mesh {r.get('default')}" for r in phase.get("authz", [])]
        if authz:
            extra.append("authz " + ", ".join(authz))
        tail = f"  [{'; '.join(extra)}]" if extra else ""
        lines.append(f"  {k}. {phase.get('name')}: {', '.join(names) or '-'}{tail}")
    return lines


def _delta(score: OrderingScore, interval: bool = True) -> str:
    """The paired difference to the best with its 95% half-width; "≈" when tied."""
    if score.delta_vs_best is None:
        return "-"
    mark = " ≈" if score.tied_with_best else ""
    half = f" ± {score.delta_ci95 or 0.0:.1f}" if interval else ""
    return f"{score.delta_vs_best:+.1f}{half}{mark}"


def _table(rows: list[list[str]], left: Sequence[int]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for k, row in enumerate(rows):
        lines.append(
            "  ".join(
                c.ljust(w) if i in left else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ).rstrip()
        )
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def format_ranking(results: CompareResults, scenario: str = "") -> str:
    """The ranking table ``meshsim compare`` prints, the verdict, then the winning plan.

    "Δ vs best" is the paired score difference to the best with its 95% half-width
    over replications; "≈" marks an ordering not distinguishable from the best.
    """
    by_name = {o.name: o for o in results.orderings}
    head = [
        "#",
        "ordering",
        "strategy",
        "score",
        "Δ vs best",
        "limits",
        "breaks",
        "SLO miss",
        "pilot exp %",
        "mean exp %",
        "mTLS AUC %",
        "sens mTLS %",
        "peak vCPU",
        "p99 Δ ms",
    ]
    rows = [head]
    best = results.ranking[0]
    for i, name in enumerate(results.ranking, start=1):
        o, s = by_name[name], by_name[name].score
        rows.append(
            [
                str(i),
                name,
                o.strategy,
                f"{s.score:.1f}",
                "best" if name == best else _delta(s, results.has_interval(name)),
                ", ".join(s.violations) or "ok",
                str(s.breakages),
                str(s.slo_violations),
                f"{100 * o.phases[1].exposure:.0f}" if len(o.phases) > 1 else "-",
                f"{100 * s.mean_exposure:.0f}",
                f"{100 * s.mtls_auc:.0f}",
                f"{100 * s.sensitive_mtls_auc:.0f}",
                f"{s.peak_proxy_cpu_cores:.2f}",
                f"{s.p99_delta_ms:+.1f}",
            ]
        )
    reps = sorted(set(results.replications.values()))
    rep_text = "/".join(str(r) for r in reps) or "?"
    if results.separated is None:
        separation = ""
    elif results.separated:
        separation = "; the best is ahead of every other ordering with 95% confidence"
    else:
        separation = "; ≈ = not distinguishable from the best (95% interval includes 0)"
    lines = [
        f"{scenario}: {len(results.orderings)} orderings ranked, best first "
        "(orderings breaking a limit, a STRICT breakage or an SLO rank last; "
        "docs/planning.md)",
        f"replications: {rep_text}{separation}",
        *_table(rows, (1, 2, 5)),
    ]
    if results.verdict:
        lines += ["", results.verdict]
    winner = by_name[best]
    lines += ["", f"{winner.name}:", *_plan_lines(winner)]
    return "\n".join(lines)


def format_explanation(results: CompareResults) -> str:
    """Points per score term of each ordering (``compare --explain``), then the verdict.

    Only the terms that weigh in this comparison are columns; the others are equal for
    every ordering and are named below the table.
    """
    terms = [t for t, w in results.weights.items() if w > 0]
    idle = [t for t, w in results.weights.items() if w == 0]
    by_name = {o.name: o for o in results.orderings}
    rows = [["ordering", *(f"{LABELS[t]} /{results.weights[t]:g}" for t in terms), "score"]]
    for name in results.ranking:
        s = by_name[name].score
        rows.append([name, *(f"{s.terms.get(t, 0.0):.2f}" for t in terms), f"{s.score:.2f}"])
    lines = ["Points per term (goodness × weight; docs/planning.md):", *_table(rows, (0,))]
    if idle:
        lines.append(
            "Weigh nothing here (equal for every ordering, or weight 0): "
            + ", ".join(LABELS[t] for t in idle)
        )
    if results.verdict:
        lines += ["", "Why: " + results.verdict]
    return "\n".join(lines)
