"""The simulation side of a background job: runs in its own process, speaks plain data.

:func:`run_job` is the target of the process :class:`ui.worker.Worker` starts (with
the *spawn* context, so the child shares nothing with the GUI process). It receives
the scenario as wire data and sends back, over a pipe, only plain data:

``("progress", fraction)``
    at most a hundred times per job;
``("point", index, data)``
    a sweep's point as soon as it is simulated (:func:`run_sweep_job`);
``("series", phase, data)``
    a run's time series so far (SPEC §14 JSON) while replication 0 of ``phase`` is
    simulated, at most every :data:`SERIES_EVERY_S` seconds per phase;
``("result", kind, data)``
    the results as ``model_dump()`` data (``kind``: run, compare, blast or sweep);
``("error", kind, payload)``
    ``scenario`` (file and problems), ``meshsim`` (message) or ``bug`` (traceback).

The child first becomes a process-group leader, so cancelling kills it together with
the engine's own worker processes, and the memory of the run goes with them.
This module imports no Qt.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from models import Scenario
from models.results import BlastResults, CompareResults, Results
from models.sweep import SweepPoint, SweepResults
from ui.backend import (
    MeshSimError,
    ScenarioError,
    blast_radius,
    compare,
    mean_series,
    run_scenario,
)

PR_SET_PDEATHSIG = 1
SERIES_EVERY_S = 0.5
"""How often a run streams its partial time series to the app (per phase)."""
RESULT_TYPES = {
    "run": Results,
    "compare": CompareResults,
    "blast": BlastResults,
    "sweep": SweepResults,
}


def run_job(out: Connection, kind: str, scenario: dict[str, Any], options: dict[str, Any]) -> None:
    """Simulate ``scenario`` (wire data) as job ``kind`` and send what happens to ``out``."""

    def job(on_progress: Any) -> tuple:
        model = Scenario.model_validate(scenario)
        if kind == "run" and model.simulation.series is not None:
            options["on_series"] = _streamer(out)
        run = {"run": run_scenario, "compare": compare, "blast": blast_radius}[kind]
        return ("result", kind, run(model, on_progress=on_progress, **options).model_dump())

    _serve(out, job)


def run_sweep_job(
    out: Connection, kind: str, scenario: dict[str, Any], options: dict[str, Any]
) -> None:
    """Sweep (``options``: text, file, params as ``PATH=VALUES``, phase) point by point."""
    from meshsim import parse_param, sweep

    def job(on_progress: Any) -> tuple:
        def on_point(index: int, point: SweepPoint) -> None:
            out.send(("point", index, point.model_dump(mode="json")))

        params = [parse_param(text) for text in options["params"]]
        results = sweep(
            options["text"],
            options["file"],
            params,
            phase=options.get("phase"),
            on_progress=on_progress,
            on_point=on_point,
            batch=1,
        )
        return ("result", kind, results.model_dump(mode="json"))

    _serve(out, job)


def _streamer(out: Connection) -> Any:
    """An ``on_series`` callback sending each phase's series so far, throttled."""
    sent: dict[int, float] = {}

    def on_series(phase: int, sample: Any) -> None:
        now = time.monotonic()
        if now - sent.get(phase, -1e9) < SERIES_EVERY_S or not sample.t:
            return
        sent[phase] = now
        series = mean_series([sample])
        if series is not None:
            out.send(("series", phase, series.model_dump(by_alias=True)))

    return on_series


def _serve(out: Connection, job: Any) -> None:
    """Run ``job(on_progress)`` as a process-group leader; send its messages to ``out``."""
    if hasattr(os, "setsid"):
        os.setsid()
    _die_with_parent()
    last = -1.0

    def on_progress(fraction: float) -> None:
        nonlocal last
        if fraction >= 1.0 or fraction - last >= 0.01:
            last = fraction
            out.send(("progress", float(fraction)))

    try:
        message: tuple = job(on_progress)
    except ScenarioError as err:
        message = ("error", "scenario", {"file": err.file, "problems": err.problems})
    except MeshSimError as err:
        message = ("error", "meshsim", {"message": str(err)})
    except BaseException as err:  # noqa: BLE001 - reported to the user with its traceback
        text = "".join(traceback.format_exception(err))
        message = ("error", "bug", {"message": repr(err), "traceback": text})
    out.send(message)
    out.close()


def _die_with_parent() -> None:
    """On Linux, the kernel kills this process when the app's process ends, however."""
    if not sys.platform.startswith("linux"):
        return
    # SIGTERM when the app ends, and on SIGTERM the whole group goes: the engine's
    # forkserver and worker processes too.
    signal.signal(signal.SIGTERM, _end_group)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # then a killed app leaves the run to finish on its own
    if os.getppid() == 1:  # the app died before the line above
        os._exit(1)


def _end_group(_signum: int, _frame: object) -> None:
    os.killpg(os.getpgid(0), signal.SIGKILL)


def results_from(kind: str, data: dict[str, Any]):
    """The results model of a ``("result", kind, data)`` message."""
    return RESULT_TYPES[kind].model_validate(data)
