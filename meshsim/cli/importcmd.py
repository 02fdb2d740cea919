"""``meshsim import FORMAT INPUT... [-o SCENARIO.yaml] [--rate R]`` (SPEC §12, §13).

Options beyond the importer's: ``--window`` (the time the input's counts cover),
``--target-utilization`` (replicas are sized for it), and ``--plan STRATEGY``
(``--phase-count K``): the scenario starts with a generated rollout plan, so ``run``
shows the rollout at once; ``--plan none`` writes none.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from meshsim.cli.capacity import warn_overload
from meshsim.errors import GraphImportError
from meshsim.files.importers import FORMATS, import_graph
from meshsim.files.importers.sizing import DEFAULT_TARGET_UTILIZATION
from meshsim.files.importers.values import parse_duration_ms, parse_rate
from meshsim.files.scenario import dump_scenario, write_text_atomically
from meshsim.planning.strategies import GENERATED, build_phases, generate, split_even
from models import Scenario, phase_services

DEFAULT_PLAN = "risk-ascending"
"""Strategy of the rollout plan an import starts with (``--plan``)."""

DEFAULT_PHASE_COUNT = 4

__all__ = ["register", "run"]


def _rate(text: str) -> float:
    try:
        return parse_rate(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _window(text: str) -> float:
    # a window is minutes to days long: Go durations (``1h``, ``24h``, ``1h30m``), which the
    # scenario's duration syntax (no hours) does not cover
    try:
        seconds = parse_duration_ms(text) / 1000.0
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"must be longer than 0 (got {text})")
    return seconds


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1] (got {text})")
    return value


def _phase_count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {text})")
    return value


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``import`` subcommand to ``subparsers`` (from ``add_subparsers()``).

    Returns
    -------
    argparse.ArgumentParser
        The subcommand's parser; its ``func`` default is :func:`run`.
    """
    parser = subparsers.add_parser(
        "import",
        help="write a scenario from Kubernetes/Istio manifests, traces or a graph file",
        description="Write a scenario from an existing description of the service graph. "
        "Warnings about what was inferred or not read go to stderr.",
    )
    parser.add_argument("format", choices=FORMATS, metavar="FORMAT", help=", ".join(FORMATS))
    parser.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help="input files")
    parser.add_argument(
        "-o", "--output", type=Path, metavar="SCENARIO.yaml", help="write here (default stdout)"
    )
    parser.add_argument(
        "--rate", type=_rate, metavar="R", help="entry rate where the input gives none (100/s)"
    )
    parser.add_argument(
        "--window",
        type=_window,
        metavar="D",
        help="time the input's call counts cover (e.g. 1h): entry rates become the observed "
        "requests / D (traces know their own window)",
    )
    parser.add_argument(
        "--target-utilization",
        type=_fraction,
        default=DEFAULT_TARGET_UTILIZATION,
        metavar="U",
        help="raise replicas so no service is busier than U at the imported load "
        f"(default {DEFAULT_TARGET_UTILIZATION})",
    )
    parser.add_argument(
        "--plan",
        choices=(*GENERATED, "none"),
        default=DEFAULT_PLAN,
        metavar="STRATEGY",
        help=f"write a rollout plan of this strategy: {', '.join(GENERATED)}, or none "
        f"(default {DEFAULT_PLAN})",
    )
    parser.add_argument(
        "--phase-count",
        type=_phase_count,
        default=DEFAULT_PHASE_COUNT,
        metavar="K",
        help=f"phases of the plan (default {DEFAULT_PHASE_COUNT})",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Import, validate and write the scenario.

    Returns
    -------
    int
        0 on success, 2 when an input (or the output) cannot be read (written),
        1 when the importer produced an invalid scenario (a bug).
    """
    try:
        result = import_graph(
            args.format,
            list(args.inputs),
            rate_rps=args.rate,
            window_s=getattr(args, "window", None),
            target_utilization=getattr(args, "target_utilization", DEFAULT_TARGET_UTILIZATION),
        )
    except GraphImportError as err:
        print(err, file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        document, scenario = _planned(args, result.document)
    except ValidationError as err:
        print(f"meshsim: internal error: the imported scenario is invalid:\n{err}", file=sys.stderr)
        return 1
    warn_overload(scenario)
    text = dump_scenario(document)
    output = getattr(args, "output", None)
    if output is None or str(output) == "-":
        sys.stdout.write(text)
        return 0
    try:
        write_text_atomically(Path(output), text)
    except OSError as err:
        print(f"{output}: cannot write: {err.strerror or err}", file=sys.stderr)
        return 2
    return 0


def _planned(args: argparse.Namespace, document: dict[str, Any]) -> tuple[dict[str, Any], Scenario]:
    """The document with the plan ``--plan``/``--phase-count`` ask for, and its scenario."""
    scenario = Scenario.model_validate(document)
    plan = getattr(args, "plan", DEFAULT_PLAN)
    if plan == "none":
        return document, scenario
    count = getattr(args, "phase_count", DEFAULT_PHASE_COUNT)
    document = with_plan(document, scenario, plan, count)
    return document, Scenario.model_validate(document)


def with_plan(
    document: dict[str, Any], scenario: Scenario, strategy: str, phase_count: int
) -> dict[str, Any]:
    """``document`` with the phases of ``strategy`` appended to its own (SPEC §7.2).

    Services already in a phase of the input (e.g. ``existing``: injected in the
    manifests) keep it; the plan puts the others into ``phase_count`` more phases,
    with the gateway and STRICT steps :func:`~meshsim.planning.strategies.build_phases`
    adds (a service whose callers are all meshed by the existing phases included).
    """
    own = list(scenario.rollout.phases)
    placed = {n for p in own for n in phase_services(p, scenario.services)}
    if len(placed) == len(scenario.services):
        return document
    if own:
        # the strategy's order of every service, the placed ones taken out, cut in K
        ordered = generate(scenario, strategy, len(scenario.services))
        rest = [n for p in ordered for n in phase_services(p, scenario.services) if n not in placed]
        groups = split_even(rest, phase_count)
        built = build_phases(scenario, [sorted(placed), *groups])[1:]
        taken = {p.name for p in own}
        built = [
            p.model_copy(update={"name": _free(f"phase-{k}", taken)})
            for k, p in enumerate(built, 1)
        ]
        if any(p.gateway for p in own):
            built = [p.model_copy(update={"gateway": None}) for p in built]
    else:
        built = generate(scenario, strategy, phase_count)
    phases = [*document.get("rollout", {}).get("phases", []), *map(_phase_dict, built)]
    return {**document, "rollout": {**document.get("rollout", {}), "phases": phases}}


def _free(name: str, taken: set[str]) -> str:
    while name in taken:
        name += "-planned"
    return name


def _phase_dict(phase: Any) -> dict[str, Any]:
    return phase.model_dump(by_alias=True, exclude_defaults=True, mode="json")
