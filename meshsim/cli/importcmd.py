"""``meshsim import FORMAT INPUT... [-o SCENARIO.yaml] [--rate R]`` (SPEC §12, §13)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from meshsim.errors import GraphImportError
from meshsim.files.importers import FORMATS, import_graph
from meshsim.files.importers.values import parse_rate
from meshsim.files.scenario import dump_scenario, write_text_atomically
from models import Scenario

__all__ = ["register", "run"]


def _rate(text: str) -> float:
    try:
        return parse_rate(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


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
        result = import_graph(args.format, list(args.inputs), rate_rps=args.rate)
    except GraphImportError as err:
        print(err, file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    try:
        Scenario.model_validate(result.document)
    except ValidationError as err:
        print(f"meshsim: internal error: the imported scenario is invalid:\n{err}", file=sys.stderr)
        return 1
    text = dump_scenario(result.document)
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
