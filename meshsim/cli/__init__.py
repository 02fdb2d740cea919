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

_COMMANDS = ("run", "compare", "blast", "validate", "importcmd", "export", "gui")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="meshsim",
        description="Simulate a service-mesh rollout phase by phase before it touches production.",
    )
    parser.add_argument("--version", action="version", version=f"meshsim {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
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
    parser = build_parser()
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
