"""The one kind of background job of the app: a run, a comparison, a blast radius.

A :class:`Worker` runs ``job(on_progress, should_stop)`` on a thread pool and
reports through queued signals, so only the GUI thread ever touches widgets; the job
returns plain models. Cancelling is cooperative: ``should_stop`` turns true and the
engine raises ``SimulationCancelled`` at its next checkpoint.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ui.backend import SimulationCancelled

Job = Callable[[Callable[[float], None], Callable[[], bool]], Any]


class _Task(QRunnable):
    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self._worker = worker
        self.setAutoDelete(True)

    def run(self) -> None:
        self._worker._run()


class Worker(QObject):
    """A cancellable background job with progress."""

    started = Signal()
    progress = Signal(float)
    finished = Signal(object)
    errored = Signal(object)
    cancelled = Signal()

    def __init__(self, job: Job, title: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self._job = job
        self._stop = threading.Event()
        self._done = threading.Event()
        self._last_progress = -1.0

    @property
    def is_running(self) -> bool:
        return not self._done.is_set()

    def start(self, pool: QThreadPool) -> None:
        pool.start(_Task(self))

    def cancel(self) -> None:
        """Ask the job to stop at its next checkpoint."""
        self._stop.set()

    def _report(self, fraction: float) -> None:
        # The engine may report often; a hundred updates are plenty for a progress bar.
        if fraction >= 1.0 or fraction - self._last_progress >= 0.01:
            self._last_progress = fraction
            self.progress.emit(float(fraction))

    def _run(self) -> None:
        self.started.emit()
        try:
            result = self._job(self._report, self._stop.is_set)
        except SimulationCancelled:
            self._done.set()
            self.cancelled.emit()
        except Exception as err:  # noqa: BLE001 - every failure is shown to the user
            self._done.set()
            self.errored.emit(err)
        else:
            self._done.set()
            if self._stop.is_set():
                self.cancelled.emit()
            else:
                self.finished.emit(result)
