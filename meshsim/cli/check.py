"""``meshsim check``: assert limits on the simulated phases, for CI pipelines (SPEC §16)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from meshsim.cli.common import (
    add_sim_overrides,
    load_with_overrides,
    progress_bar,
    refuse_if_too_big,
    write_atomic,
)
from meshsim.cli.options import add_executor_options, add_set_option, executor_of, workers_of
from meshsim.planning.checks import Limits, evaluate, junit_xml
from meshsim.rollout.state import resolve_phase
from meshsim.sim.runner import RunRequest, run_many
from models import parse_duration, parse_probability
from models.checks import parse_p99_delta

__all__ = ["register", "run"]

EXIT_FAILED = 3


def _arg(parse):
    def convert(text: str):
        try:
            return parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return convert


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``check`` subcommand."""
    parser = subparsers.add_parser(
        "check",
        help="assert success rate, p99, amplification... per phase; exit 3 when one fails",
        description="Simulate the chosen phases and assert the limits (options over the "
        "scenario's `checks`) and the scenario's SLOs for every entrypoint (docs/ci.md).",
    )
    parser.add_argument("scenario", help="scenario YAML or JSON file")
    parser.add_argument(
        "--phase",
        action="extend",
        nargs="+",
        metavar="NAME|INDEX",
        help="check only this phase (repeatable; default every phase of the rollout)",
    )
    parser.add_argument("--min-success", type=_arg(parse_probability), metavar="R")
    parser.add_argument("--max-p99", type=_arg(parse_duration), metavar="D")
    parser.add_argument("--max-p99-delta", type=_arg(parse_p99_delta), metavar="D|P%")
    parser.add_argument("--max-amplification", type=float, metavar="X")
    parser.add_argument(
        "--no-breakages", action="store_true", help="no attempt may be refused by STRICT mTLS"
    )
    parser.add_argument("--junit", metavar="PATH", help="write JUnit XML there")
    add_sim_overrides(parser)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    add_set_option(parser)
    add_executor_options(parser)
    parser.set_defaults(func=run)


def _limits(args: argparse.Namespace, checks) -> Limits:
    delta_s, delta_fraction = args.max_p99_delta or (None, None)
    options = Limits(
        min_success=args.min_success,
        max_p99_s=args.max_p99,
        max_p99_delta_s=delta_s,
        max_p99_delta_fraction=delta_fraction,
        max_amplification=args.max_amplification,
        max_breakages=0 if args.no_breakages else None,
    )
    return Limits.from_checks(checks).over(options)


def run(args: argparse.Namespace) -> int:
    """Simulate, assert, print one line per failed assertion; exit 3 if any failed."""
    scenario = load_with_overrides(args)
    if args.phase:
        chosen = sorted({resolve_phase(scenario, token) for token in args.phase})
    else:
        chosen = list(range(1, len(scenario.rollout.phases) + 1)) or [0]
    limits = _limits(args, scenario.checks)
    simulate = sorted(set(chosen) | ({0} if limits.needs_baseline else set()))
    refuse_if_too_big(scenario, args.workers, phases=len(simulate))
    update, close = progress_bar("checking", args.quiet)
    try:
        with executor_of(args) as executor:
            results = run_many(
                [RunRequest(scenario, phase_indexes=tuple(simulate))],
                workers=workers_of(args),
                on_progress=update,
                executor=executor,
            )[0]
    finally:
        close()
    assertions = evaluate(results, scenario, limits, chosen)
    if args.junit:
        write_atomic(Path(args.junit), junit_xml(assertions, scenario.metadata.name))
    failed = [a for a in assertions if not a.passed]
    for a in failed:
        print(a.message)
    if not assertions:
        print("nothing to check: give limits or declare SLOs or `checks`", file=sys.stderr)
    print(
        f"{len(assertions) - len(failed)} of {len(assertions)} assertions hold",
        file=sys.stderr,
    )
    return EXIT_FAILED if failed else 0
