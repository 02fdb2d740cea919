"""``meshsim gui``: start the desktop app (the ``ui`` package) in its own process.

``meshsim`` must not import ``ui`` (the layers run one way), so the command starts
``python -m ui`` with the same arguments.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``gui`` subcommand."""
    parser = subparsers.add_parser("gui", help="open the desktop app")
    parser.add_argument("scenario", nargs="?", help="scenario to open")
    parser.add_argument("--screenshot", metavar="PNG", help="render the window to PNG")
    parser.add_argument("--run", action="store_true", help="run the default comparison first")
    parser.add_argument("--quit", action="store_true", help="exit after the screenshot")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Start the app and return its exit code."""
    argv = [sys.executable, "-m", "ui"]
    if args.scenario:
        argv.append(args.scenario)
    if args.screenshot:
        argv += ["--screenshot", args.screenshot]
    if args.run:
        argv.append("--run")
    if args.quit:
        argv.append("--quit")
    return subprocess.call(argv)
