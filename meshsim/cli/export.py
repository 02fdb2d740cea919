"""``meshsim export istio``: the manifests that put a phase in force (SPEC §12)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from meshsim.cli.common import write_atomic
from meshsim.errors import SimulationError
from meshsim.files.istio import export_istio
from meshsim.files.scenario import load_scenario

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand."""
    parser = subparsers.add_parser(
        "export",
        help="write the Istio manifests of a phase",
        description="Write the Kubernetes/Istio manifests that put a rollout phase in force: "
        "injection, PeerAuthentication, AuthorizationPolicy, VirtualService and DestinationRule.",
    )
    parser.add_argument("target", choices=["istio"], help="what to export (istio)")
    parser.add_argument("scenario", help="scenario YAML or JSON file")
    parser.add_argument(
        "--phase",
        metavar="NAME|INDEX",
        help="phase of rollout.phases (0 = baseline; default the last)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        type=Path,
        help="write one file per kind into DIR (default: all to stdout)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Export the manifests to stdout or to ``--output``."""
    scenario = load_scenario(args.scenario)
    files = export_istio(scenario, args.phase)
    if not files:
        print("meshsim: nothing to export: nothing is meshed in that phase", file=sys.stderr)
        return 0
    if args.output is None:
        sys.stdout.write("---\n".join(files.values()))
        return 0
    try:
        args.output.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            write_atomic(args.output / name, text)
    except OSError as err:
        raise SimulationError(f"cannot write to {args.output}: {err.strerror}") from err
    for name in files:
        print(args.output / name, file=sys.stderr)
    return 0
