"""``meshsim validate SCENARIO``: check a file and say what it holds."""

from __future__ import annotations

import argparse

from meshsim.files.scenario import load_scenario

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` subcommand."""
    parser = subparsers.add_parser("validate", help="check a scenario file")
    parser.add_argument("scenario", help="scenario YAML or JSON file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Validate; problems raise ScenarioError (exit 2 with one line each)."""
    scenario = load_scenario(args.scenario)
    calls = sum(len(s.iter_calls()) for s in scenario.services)
    print(
        f"{args.scenario}: valid — {len(scenario.services)} services, {calls} calls, "
        f"{len(scenario.entrypoints)} entrypoints, {len(scenario.rollout.phases)} phases, "
        f"profile {scenario.mesh.profile}"
    )
    return 0
