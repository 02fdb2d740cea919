"""Paths and scenario copies shared by the GUI tests."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SAMPLES = sorted((REPO / "samples").glob("*.yaml"))
DATA = REPO / "tests" / "data"


def short_copy(source: Path, target_dir: Path, **simulation) -> Path:
    """``source`` with a short simulation (2 s, one replication) unless told otherwise."""
    data = yaml.safe_load(source.read_text())
    data.setdefault("simulation", {}).update(
        {"duration": "2s", "warmup": "0.5s", "replications": 1, **simulation}
    )
    target = target_dir / source.name
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target


def crashing_job(out, kind, scenario, options) -> None:
    """A job process that dies as the kernel's out-of-memory killer would end it."""
    import os
    import signal

    out.send(("progress", 0.1))
    os.kill(os.getpid(), signal.SIGKILL)


def _no_such_phase(*_args, **_kwargs):
    from meshsim import SimulationError

    raise SimulationError("no phase named 'nope'")


def _divide_by_zero(*_args, **_kwargs):
    return 1 / 0


def simulation_error_job(out, kind, scenario, options) -> None:
    """The real job, whose simulation fails with a known error."""
    from ui import job_process

    job_process.run_scenario = _no_such_phase
    job_process.run_job(out, kind, scenario, options)


def bug_job(out, kind, scenario, options) -> None:
    """The real job, whose simulation fails with a bug."""
    from ui import job_process

    job_process.run_scenario = _divide_by_zero
    job_process.run_job(out, kind, scenario, options)
