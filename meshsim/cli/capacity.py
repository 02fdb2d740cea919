"""``meshsim capacity``: visits, offered load and utilization per service (SPEC §18)."""

from __future__ import annotations

import argparse
import json
import sys

from meshsim.cli.common import add_json_option, write_output
from meshsim.cli.options import add_set_option
from meshsim.files.overrides import load_with_sets
from meshsim.rollout.capacity import OVERLOAD_UTILIZATION, Capacity, capacity, overload_warnings
from meshsim.rollout.state import phase_names, resolve_phase
from models import Scenario

__all__ = ["format_capacity", "register", "run", "warn_overload"]

DEFAULT_TOP = 20
"""Services the table shows without ``--all`` (the most loaded)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``capacity`` subcommand."""
    parser = subparsers.add_parser(
        "capacity",
        help="offered load and utilization per service (no simulation)",
        description="Operational analysis of the scenario at its entry rates: visits per "
        "entry request, offered load, utilization per service, the bottleneck and how far "
        "every entry rate can grow before it saturates. Nothing is simulated.",
    )
    parser.add_argument("scenario", help="scenario YAML or JSON file")
    parser.add_argument(
        "--phase", metavar="NAME|INDEX", help="phase (0 = baseline; the figures are the same)"
    )
    add_json_option(parser)
    parser.add_argument(
        "--top",
        type=int,
        default=DEFAULT_TOP,
        metavar="N",
        help=f"show the N most loaded services (default {DEFAULT_TOP})",
    )
    parser.add_argument("--all", action="store_true", help="show every service")
    add_set_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the capacity table (or its JSON document)."""
    scenario = load_with_sets(args.scenario, args.set)
    index = resolve_phase(scenario, args.phase) if args.phase is not None else 0
    result = capacity(scenario)
    if args.json:
        document = {"phase": phase_names(scenario)[index], **result.to_json()}
        write_output(args.json, json.dumps(document, indent=2))
        if args.json == "-":
            return 0
    print(format_capacity(scenario, result, top=None if args.all else max(1, args.top)))
    return 0


def format_capacity(scenario: Scenario, result: Capacity, *, top: int | None = DEFAULT_TOP) -> str:
    """The table: the most loaded services first, then the bottleneck and headroom."""
    by_name = {s.name: s for s in scenario.services}
    ranked = sorted(result.services, key=lambda n: -result.services[n].utilization)
    shown = ranked if top is None else ranked[:top]
    head = ["service", "workers", "visits", "req/s", "mean ms", "ρ", "hold ms", "busy"]
    rows = [head]
    for name in shown:
        c = result.services[name]
        s = by_name[name]
        rows.append(
            [
                name,
                f"{s.replicas}×{s.concurrency}",
                f"{c.visits:.3g}",
                f"{c.rps:.1f}",
                f"{s.service_time.mean * 1000:.3g}",
                f"{c.utilization:.3f}" + (" !" if c.utilization >= OVERLOAD_UTILIZATION else ""),
                f"{c.hold_ms:.3g}",
                f"{c.occupancy:.3f}",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    rate = sum(e.rate for e in scenario.entrypoints)
    lines = [f"{scenario.metadata.name}: {len(scenario.entrypoints)} entrypoint(s), {rate:g} req/s"]
    for k, row in enumerate(rows):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    if len(shown) < len(ranked):
        lines.append(
            f"... {len(ranked) - len(shown)} more services below ρ "
            f"{result.services[shown[-1]].utilization:.3f} (--all shows them)"
        )
    if result.bottleneck is None:
        lines.append("no service does any work at these rates")
    else:
        rho = result.services[result.bottleneck].utilization
        lines.append(
            f"bottleneck: {result.bottleneck} (ρ = {rho:.3f}); "
            f"every entry rate can grow {result.max_rate_multiplier:.3g}× before it saturates"
        )
    lines.append(
        "ρ = req/s × mean service time / workers; hold = time a request holds a worker with "
        "nothing queued (threads wait for their calls); busy = req/s × hold / workers."
    )
    return "\n".join(lines)


def warn_overload(scenario: Scenario) -> None:
    """Print ``warning: capacity: ...`` to stderr for every service at ρ ≥ 0.9."""
    for line in overload_warnings(scenario):
        print(f"warning: {line}", file=sys.stderr)
