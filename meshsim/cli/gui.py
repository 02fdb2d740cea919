"""``meshsim gui``: start the desktop app (the ``ui`` package) in its own process.

``meshsim`` must not import ``ui`` (the layers run one way), so the command starts
``python -m ui`` with the same arguments.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["add_gui_arguments", "gui_argv", "register", "run"]


def add_gui_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of the app: ``meshsim gui`` and ``python -m ui`` both use these."""
    parser.add_argument("scenario", nargs="?", help="scenario file to open")
    parser.add_argument("--screenshot", metavar="PNG", help="save a picture of the window")
    parser.add_argument("--run", action="store_true", help="run the default comparison first")
    parser.add_argument("--quit", action="store_true", help="exit when done")
    parser.add_argument("--size", default="1400x900", help="window size, e.g. 1366x768")
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="PATH=VALUE",
        help="open the scenario with this change made (repeatable; SPEC §15); the change "
        "is an unsaved edit that Undo takes back",
    )
    return parser


def gui_argv(args: argparse.Namespace) -> list[str]:
    """The command-line arguments that ask the app for what ``args`` says."""
    argv = [args.scenario] if args.scenario else []
    if args.screenshot:
        argv += ["--screenshot", args.screenshot]
    if args.run:
        argv.append("--run")
    if args.quit:
        argv.append("--quit")
    argv += ["--size", args.size]
    for item in args.sets:
        argv += ["--set", item]
    return argv


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``gui`` subcommand."""
    parser = subparsers.add_parser("gui", help="open the desktop app")
    add_gui_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start the app and return its exit code."""
    # The app runs from the same installation as this command: "-P" keeps the current
    # directory off its path (started beside a clone named "meshsim", Python took that
    # folder for the package), and the folder holding meshsim and ui goes first.
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return subprocess.call([sys.executable, "-P", "-m", "ui", *gui_argv(args)], env=env)
