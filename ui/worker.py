"""The one kind of background job of the app: a run, a comparison, a blast radius.

A :class:`Worker` runs a job in a separate process started with the *spawn* context
(``ui.job_process.run_job`` by default), so the simulation's memory is never the
app's, and a crash or an out-of-memory kill of the simulation leaves the app and the
user's edits alone. The child sends plain data over a pipe; the worker polls it from
the GUI thread's event loop and turns it into signals, so only the GUI thread ever
touches widgets. Cancel kills the child's process group (the engine's own worker
processes with it) at once.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from models.sweep import SweepPoint
from ui import job_process
from ui.backend import MeshSimError, ScenarioError

POLL_MS = 50
"""How often the GUI thread reads the child's messages."""
_CONTEXT = multiprocessing.get_context("spawn")


class JobFailed(Exception):
    """The job raised an unexpected error in its process; ``details`` is its traceback."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message)
        self.details = details


class JobCrashed(Exception):
    """The simulation process ended without an answer (killed, out of memory, crashed)."""

    def __init__(self, exitcode: int | None) -> None:
        self.exitcode = exitcode
        super().__init__(_describe_exit(exitcode))


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " — perhaps it ran out of memory" if -code == signal.SIGKILL else ""
        return f"the simulation process was killed ({name}){hint}"
    return f"the simulation process stopped unexpectedly (exit code {code})"


class Worker(QObject):
    """A cancellable job in a child process, with progress."""

    started = Signal()
    progress = Signal(float)
    point = Signal(int, object)  # a sweep's point (index, SweepPoint) as it finishes
    series = Signal(int, object)  # a run's series so far (phase index, SPEC §14 JSON)
    finished = Signal(object)
    errored = Signal(object)
    cancelled = Signal()

    def __init__(
        self,
        title: str,
        kind: str,
        scenario: dict[str, Any],
        options: dict[str, Any] | None = None,
        parent: QObject | None = None,
        target: Callable[..., None] = job_process.run_job,
    ) -> None:
        super().__init__(parent)
        self.title = title
        self.kind = kind
        self._args = (kind, scenario, dict(options or {}))
        self._target = target
        self.process: multiprocessing.process.BaseProcess | None = None
        self._conn = None
        self._done = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def is_running(self) -> bool:
        return self.process is not None and not self._done

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        reader, writer = _CONTEXT.Pipe(duplex=False)
        self.process = _CONTEXT.Process(
            target=self._target, args=(writer, *self._args), name=f"meshsim {self.title}"
        )
        self.process.start()
        writer.close()  # the child holds the only writer: its end is our EOF
        self._conn = reader
        self._timer.start()
        self.started.emit()

    def cancel(self) -> None:
        """End the job now: its processes are killed and their memory freed."""
        if not self.is_running:
            return
        self._kill()
        self._end()
        self.cancelled.emit()

    # --- internals --------------------------------------------------------------------

    def _kill(self) -> None:
        process = self.process
        if process.pid is not None and hasattr(os, "killpg"):
            try:
                os.killpg(process.pid, signal.SIGKILL)  # the child leads its group
            except (ProcessLookupError, PermissionError):
                pass  # not yet a group leader (or gone): kill the child alone
        if process.is_alive():
            process.kill()
        process.join(1.0)

    def _end(self) -> None:
        self._done = True
        self._timer.stop()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.process is not None and self.process.exitcode is None:
            self.process.join(1.0)

    def _poll(self) -> None:
        if self._done or self._conn is None:
            return
        try:
            while self._conn is not None and self._conn.poll():
                self._handle(self._conn.recv())
                if self._done:
                    return
        except (EOFError, OSError):
            pass  # the child is gone: its exit code says why
        if not self.process.is_alive() and not self._done:
            self.process.join(0.1)
            self._end()
            self.errored.emit(JobCrashed(self.process.exitcode))

    def _handle(self, message: tuple) -> None:
        what = message[0]
        if what == "progress":
            self.progress.emit(float(message[1]))
            return
        if what == "point":
            self.point.emit(int(message[1]), SweepPoint.model_validate(message[2]))
            return
        if what == "series":
            self.series.emit(int(message[1]), message[2])
            return
        self._end()
        if what == "result":
            self.finished.emit(job_process.results_from(message[1], message[2]))
            return
        kind, payload = message[1], message[2]
        if kind == "scenario":
            self.errored.emit(ScenarioError(payload["file"], payload["problems"]))
        elif kind == "meshsim":
            self.errored.emit(MeshSimError(payload["message"]))
        else:
            self.errored.emit(JobFailed(payload["message"], payload["traceback"]))
