"""``meshsim edit``: change fields of a scenario file and nothing else (SPEC §15)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from meshsim.files.overrides import apply_overrides, edited_text, parse_overrides, read_text
from meshsim.files.scenario import write_text_atomically

__all__ = ["edit", "register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``edit`` subcommand."""
    parser = subparsers.add_parser(
        "edit",
        help="change fields of a scenario, keeping its comments and layout",
        description="Write the scenario with the --set changes and nothing else: comments, "
        "key order, quoting and formatting of everything not changed stay as they were.",
    )
    parser.add_argument("scenario", help="scenario YAML or JSON file")
    parser.add_argument(
        "--set",
        action="append",
        required=True,
        metavar="PATH=VALUE",
        help="the field to change and its new value as YAML (repeatable), "
        "e.g. services[api].replicas=3",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="OUT", help="write here (default: stdout)")
    where.add_argument("--in-place", action="store_true", help="overwrite SCENARIO")
    parser.set_defaults(func=edit)


def edit(args: argparse.Namespace) -> int:
    """Apply the changes, validate the result, write it; exit 2 if it is not valid."""
    file = str(args.scenario)
    overrides = parse_overrides(args.set, file)
    text = read_text(args.scenario)
    apply_overrides(text, file, overrides)  # raises, naming the --set, if invalid
    new_text = edited_text(text, file, overrides)
    target = args.scenario if args.in_place else args.output
    if target is None:
        sys.stdout.write(new_text)
    elif not (Path(target).exists() and read_text(target) == new_text):
        write_text_atomically(Path(target), new_text)
    return 0
