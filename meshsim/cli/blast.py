"""``meshsim blast``: dynamic and structural blast radius per service (SPEC §11.4, §12)."""

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
from meshsim.cli.options import add_executor_options, add_set_option, executor_of, workers_of
from meshsim.planning.blast import BLAST_FAULTS, blast_radius
from models.results import BlastResults

__all__ = ["format_blast", "register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``blast`` subcommand."""
    parser = subparsers.add_parser(
        "blast",
        help="blast radius of each service in a phase",
        description="Simulate an outage of each service in one phase and measure the extra "
        "bad entry requests (dynamic), next to the share of requests that need it (structural).",
    )
    parser.add_argument("scenario", help="scenario YAML or JSON file")
    parser.add_argument(
        "--phase",
        metavar="NAME|INDEX",
        help="phase of rollout.phases (0 = baseline; default the last)",
    )
    parser.add_argument(
        "--service",
        action="extend",
        nargs="+",
        metavar="NAME",
        help="only this service (repeatable; default all)",
    )
    parser.add_argument(
        "--fault",
        choices=BLAST_FAULTS,
        default="outage",
        help="fault injected into each service in turn (default outage; cert-expiry and "
        "proxy-crash are the drills of SPEC §20)",
    )
    add_json_option(parser)
    add_sim_overrides(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_set_option(parser)
    add_executor_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Measure and print the blast radius (or the JSON document)."""
    scenario = load_with_overrides(args)
    outages = len(set(args.service)) if args.service else len(scenario.services)
    refuse_if_too_big(scenario, args.workers, phases=1, plans=outages + 1)
    label = "simulating outages" if args.fault == "outage" else f"simulating {args.fault}"
    update, close = progress_bar(label, args.quiet or args.json == "-")
    try:
        with executor_of(args) as executor:
            results = blast_radius(
                scenario,
                phase=args.phase,
                services=args.service,
                fault=args.fault,
                workers=workers_of(args),
                on_progress=update,
                executor=executor,
            )
    finally:
        close()
    if args.json:
        write_output(args.json, results.model_dump_json(by_alias=True, indent=2))
        if args.json == "-":
            return 0
    print(format_blast(results, scenario.simulation.replications))
    return 0


def format_blast(results: BlastResults, replications: int = 1) -> str:
    """The table ``meshsim blast`` prints, largest dynamic blast radius first."""
    head = ["service", "blast radius %", "± 95% CI", "structural %"]
    rows = [head]
    ordered = sorted(results.services.items(), key=lambda kv: (-kv[1].blast_radius, kv[0]))
    for name, entry in ordered:
        ci = entry.ci95.get("blastRadius")
        rows.append(
            [
                name,
                f"{100 * entry.blast_radius:.1f}",
                "-" if ci is None else f"{100 * ci:.1f}",
                f"{100 * entry.structural_blast_radius:.1f}",
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    what = {
        None: "an outage of every replica",
        "crash": "a crash of every replica",
        "cert-expiry": "an expired certificate",
        "proxy-crash": "a crash of every sidecar",
    }[results.fault]
    lines = [
        f"phase {results.phase}: {what} of the service after the "
        f"warm-up, {replications} paired replication(s)"
    ]
    for k, row in enumerate(rows):
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append(
        "blast radius = extra entry requests failed or over the SLO latency; "
        "structural = share of requests whose call tree requires the service."
    )
    return "\n".join(lines)
