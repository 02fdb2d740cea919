"""Helpers shared by the subcommands: loading, phase selection, output, progress."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from meshsim.errors import SimulationError
from meshsim.files.atomic import write_text_atomically as write_atomic
from meshsim.files.overrides import load_with_sets
from models import Scenario, parse_duration

if TYPE_CHECKING:  # pragma: no cover
    from meshsim.sim.sizing import RunEstimate

__all__ = [
    "add_json_option",
    "add_sim_overrides",
    "duration_arg",
    "load_with_overrides",
    "progress_bar",
    "refuse_if_too_big",
    "write_atomic",
    "write_output",
]


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """``--json PATH|-``: write the results document there (``-`` = stdout)."""
    parser.add_argument("--json", metavar="PATH|-", help="write the results document (- = stdout)")


def duration_arg(text: str) -> float:
    """An argparse type: a duration like ``30s`` in seconds."""
    try:
        return parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_sim_overrides(parser: argparse.ArgumentParser) -> None:
    """``--seed``, ``--replications``, ``--duration``, ``--workers``."""
    parser.add_argument("--seed", type=int, help="override simulation.seed")
    parser.add_argument("--replications", type=int, help="override simulation.replications")
    parser.add_argument(
        "--duration", type=duration_arg, help="override simulation.duration (e.g. 30s)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="processes to use (default: all cores)"
    )


def load_with_overrides(args: argparse.Namespace) -> Scenario:
    """Load ``args.scenario`` and apply ``--set``, ``--seed/--replications/--duration``."""
    scenario = load_with_sets(args.scenario, getattr(args, "set", None))
    sim = scenario.simulation.model_dump(by_alias=True, exclude_unset=True)
    if getattr(args, "seed", None) is not None:
        sim["seed"] = args.seed
    if getattr(args, "replications", None) is not None:
        if args.replications < 1:
            raise SimulationError(f"--replications must be at least 1 (got {args.replications})")
        sim["replications"] = args.replications
    if getattr(args, "duration", None) is not None:
        sim["duration"] = f"{args.duration}s"
    if sim == scenario.simulation.model_dump(by_alias=True, exclude_unset=True):
        return scenario
    data = scenario.model_dump(by_alias=True, exclude_unset=True)
    data["simulation"] = sim
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())
        raise SimulationError(f"{args.scenario}: with these options: {reasons}") from err


def refuse_if_too_big(
    scenario: Scenario,
    workers: int | None,
    *,
    phases: int | None = None,
    plans: int = 1,
) -> RunEstimate:
    """Estimate the run; refuse it (SimulationError: one line, exit 2) if it cannot fit.

    Called before anything is simulated or written, so a refused run leaves no file.
    """
    from meshsim.sim.runner import default_workers  # the engine: only for simulating commands
    from meshsim.sim.sizing import estimate_run, fits_in_memory

    estimate = estimate_run(
        scenario,
        phases=phases,
        plans=plans,
        workers=default_workers() if workers is None else max(1, workers),
    )
    reason = fits_in_memory(estimate)
    if reason is not None:
        raise SimulationError(reason)
    return estimate


def time_left(seconds: float) -> str:
    """Remaining time for a progress bar, rounded as a person would say it.

    >>> time_left(4.2), time_left(75), time_left(3 * 3600 + 60)
    ('~5 s left', '~2 min left', '~3.0 h left')
    """
    if seconds < 60:
        return f"~{max(1, math.ceil(seconds / 5) * 5)} s left"
    if seconds < 3600:
        return f"~{math.ceil(seconds / 60)} min left"
    return f"~{seconds / 3600:.1f} h left"


def write_output(target: str, text: str) -> None:
    """Write to a file, or to stdout for ``-``."""
    if target == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_atomic(Path(target), text if text.endswith("\n") else text + "\n")


def progress_bar(
    label: str, quiet: bool = False
) -> tuple[Callable[[float], None], Callable[[], None]]:
    """A progress callback drawing a bar on stderr when it is a terminal, and a closer.

    From 2% on the bar says how long is left at the pace so far (``~3 min left``).
    """
    if quiet or not sys.stderr.isatty():
        return (lambda _frac: None), (lambda: None)
    import time

    state = {"last": -1, "start": time.monotonic(), "width": 0}

    def update(frac: float) -> None:
        pct = int(frac * 100)
        if pct != state["last"]:
            state["last"] = pct
            filled = pct * 30 // 100
            left = ""
            if 2 <= pct < 100:
                left = "  " + time_left((time.monotonic() - state["start"]) * (1 - frac) / frac)
            line = f"\r{label} [{'#' * filled}{'.' * (30 - filled)}] {pct:3d}%{left}"
            pad = " " * max(0, state["width"] - len(line))
            state["width"] = len(line)
            sys.stderr.write(line + pad)
            sys.stderr.flush()

    def close() -> None:
        if state["last"] >= 0:
            sys.stderr.write("\r" + " " * state["width"] + "\r")
            sys.stderr.flush()

    return update, close
