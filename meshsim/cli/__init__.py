"""The ``meshsim`` command line (SPEC §12).

Each subcommand lives in its own module exposing ``register(subparsers)``; this
module only dispatches and turns known errors into one clear line and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from collections.abc import Sequence

from meshsim.errors import GraphImportError, ScenarioError, SimulationCancelled, SimulationError
from meshsim.version import __version__

__all__ = ["main"]

_COMMANDS = {  # subcommand → module of meshsim.cli that registers it, in help order
    "run": "run",
    "compare": "compare",
    "blast": "blast",
    "validate": "validate",
    "capacity": "capacity",
    "import": "importcmd",
    "export": "export",
    "gui": "gui",
    "edit": "edit",
    "lint": "lint",
    "check": "check",
    "sweep": "sweep",
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered (or only ``only``).

    Each subcommand's module imports what that command needs (the engine, the
    planner, matplotlib), so ``meshsim validate`` registers ``validate`` alone and
    does not pay for the others' imports.
    """
    parser = argparse.ArgumentParser(
        prog="meshsim",
        description="Simulate a service-mesh rollout phase by phase before it touches production.",
    )
    parser.add_argument("--version", action="version", version=f"meshsim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command, name in _COMMANDS.items():
        if only is not None and command != only:
            continue
        try:
            module = importlib.import_module(f"meshsim.cli.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"meshsim.cli.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 bad input, 1 internal error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in _COMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except ScenarioError as err:
        for line in err.lines():
            print(line, file=sys.stderr)
        return 2
    except (GraphImportError, SimulationError) as err:
        print(f"meshsim: {err}", file=sys.stderr)
        return 2
    except (SimulationCancelled, KeyboardInterrupt):
        print("meshsim: cancelled", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception:  # noqa: BLE001 - an unknown error is a bug: show it, exit 1
        traceback.print_exc()
        print("meshsim: internal error (a bug): please report the traceback above", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
