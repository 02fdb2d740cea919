"""``meshsim lint``: classic resilience mistakes, without simulating (SPEC §17)."""

from __future__ import annotations

import argparse
import json

from meshsim.cli.common import write_output
from meshsim.cli.options import add_set_option
from meshsim.errors import Problem, ScenarioError
from meshsim.files.overrides import edited_text, parse_overrides, read_text
from meshsim.files.positions import FieldPositions
from meshsim.files.scenario import parse_scenario
from meshsim.rollout.lint import SEVERITIES, Finding, lint

__all__ = ["format_finding", "register", "run"]

EXIT_FINDINGS = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``lint`` subcommand."""
    parser = subparsers.add_parser(
        "lint",
        help="find retry storms, timeout inversions, STRICT too early... without simulating",
        description="Check the scenario for classic resilience mistakes, each reported at the "
        "line of the field to change, with a fix (docs/tuning.md lists the rules).",
    )
    parser.add_argument("scenario", help="scenario YAML or JSON file")
    parser.add_argument("--json", metavar="-", help="print the findings as JSON (- = stdout)")
    parser.add_argument(
        "--fail-on",
        choices=SEVERITIES,
        help="exit 3 when a finding of this severity or worse exists",
    )
    add_set_option(parser)
    parser.set_defaults(func=run)


def _text(args: argparse.Namespace) -> str:
    file = str(args.scenario)
    return edited_text(read_text(args.scenario), file, parse_overrides(args.set, file))


def format_finding(file: str, line: int, column: int, finding: Finding) -> str:
    """``FILE:LINE:COL: SEVERITY CODE: message (fix: ...)``."""
    return (
        f"{file}:{line}:{column}: {finding.severity} {finding.code}: "
        f"{finding.message} (fix: {finding.fix})"
    )


def run(args: argparse.Namespace) -> int:
    """Print the findings; exit 3 with ``--fail-on`` when one is that bad."""
    file = str(args.scenario)
    text = _text(args)
    try:
        scenario = parse_scenario(text, file)
    except ScenarioError as err:
        if args.set:
            named = ", ".join(f"--set {s}" for s in args.set)
            lines = [Problem("", f"{named}: {p.path}: {p.message}") for p in err.problems]
            raise ScenarioError(file, lines) from err
        raise
    where = FieldPositions(text, file)
    findings = sorted(
        ((*where.of(f.loc), f) for f in lint(scenario)), key=lambda x: (x[0], x[1], x[2].code)
    )
    if args.json:
        doc = {
            "findings": [
                {
                    "file": file,
                    "line": line,
                    "column": column,
                    "severity": f.severity,
                    "code": f.code,
                    "message": f.message,
                    "fix": f.fix,
                }
                for line, column, f in findings
            ]
        }
        write_output(args.json, json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        for line, column, f in findings:
            print(format_finding(file, line, column, f))
    if args.fail_on is None:
        return 0
    floor = SEVERITIES.index(args.fail_on)
    return EXIT_FINDINGS if any(SEVERITIES.index(f.severity) >= floor for *_, f in findings) else 0
