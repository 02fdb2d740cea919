"""RunActions: run, compare and blast radius of the window's scenario, in the background.

One job at a time per window. Progress is a signal (the window shows it in its status
bar with a Cancel button); results go into the session, which every view follows;
failures to the banner (known errors) or a traceback dialog (bugs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal
from PySide6.QtWidgets import QWidget

from ui import dialogs
from ui.backend import MeshSimError, ScenarioError, blast_radius, compare, run_scenario
from ui.session import Session
from ui.worker import Worker


class RunActions(QObject):
    """Starts and follows the window's background jobs."""

    job_started = Signal(str)
    job_ended = Signal(str)
    progress = Signal(float)

    def __init__(self, session: Session, parent: QWidget) -> None:
        super().__init__(parent)
        self._session = session
        self._parent = parent
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.worker: Worker | None = None
        self.workers: int | None = None
        """Processes for the engine: None = every core (the engine's default)."""
        self.phase_count = 4
        self.strategies: list[str] | None = None
        """Strategies Compare generates: None = all of them."""

    @property
    def busy(self) -> bool:
        return self.worker is not None and self.worker.is_running

    def start_run(self) -> Worker | None:
        """Simulate the baseline and every phase of the scenario as written."""
        scenario = self._session.scenario
        workers = self.workers or 1

        def job(on_progress, should_stop):
            return run_scenario(
                scenario, workers=workers, on_progress=on_progress, should_stop=should_stop
            )

        return self._start("Run", job, self._on_run_finished)

    def start_compare(self) -> Worker | None:
        """Simulate and rank the scenario's plan against the generated strategies."""
        scenario = self._session.scenario
        workers, phase_count, strategies = self.workers, self.phase_count, self.strategies

        def job(on_progress, should_stop):
            return compare(
                scenario,
                strategies=strategies,
                phase_count=phase_count,
                workers=workers,
                on_progress=on_progress,
                should_stop=should_stop,
            )

        return self._start("Compare", job, self._on_compare_finished)

    def start_blast(self) -> Worker | None:
        """Blast radius of every service in the phase (and plan) on display."""
        scenario = self._session.display_scenario
        phase = self._session.phase
        workers = self.workers

        def job(on_progress, should_stop):
            return blast_radius(
                scenario,
                phase=phase,
                workers=workers,
                on_progress=on_progress,
                should_stop=should_stop,
            )

        return self._start("Blast radius", job, self._on_blast_finished)

    def cancel(self) -> None:
        if self.busy:
            self.worker.cancel()
            self._session.note("Cancelling…", 0)

    def shutdown(self) -> None:
        """Cancel any job and wait for it (on close)."""
        self.cancel()
        self.pool.waitForDone(30_000)

    # --- lifecycle --------------------------------------------------------------------

    def _start(self, title: str, job, on_done: Callable[[Any], None]) -> Worker | None:
        session = self._session
        if session.scenario is None:
            return None
        if self.busy:
            session.note(f"{self.worker.title} is still running", 4000)
            return None
        worker = Worker(job, title, self)
        worker.started.connect(self._on_worker_started)
        worker.progress.connect(self.progress)
        # Ended first: the note "Run finished" then outlives the cleared "Run…".
        worker.finished.connect(self._on_worker_ended)
        worker.finished.connect(on_done)
        worker.errored.connect(self._on_worker_errored)
        worker.cancelled.connect(self._on_worker_cancelled)
        self.worker = worker
        session.set_busy(True)
        session.note(f"{title}…", 0)
        worker.start(self.pool)
        self.job_started.emit(title)
        return worker

    def _on_worker_started(self) -> None:
        self.progress.emit(0.0)

    def _on_worker_ended(self, _result: object = None) -> None:
        title = self.worker.title if self.worker else ""
        self._session.note("", 0)
        self._session.set_busy(False)
        self.job_ended.emit(title)

    def _on_worker_cancelled(self) -> None:
        self._on_worker_ended()
        self._session.tell("info", "Cancelled: the results shown are unchanged.")

    def _on_worker_errored(self, error: BaseException) -> None:
        title = self.worker.title if self.worker else "Run"
        self._on_worker_ended()
        if isinstance(error, ScenarioError):
            self._session.tell("error", f"{title} failed:", error.lines())
        elif isinstance(error, MeshSimError):
            self._session.tell("error", f"{title} failed: {error}")
        else:
            self._session.tell("error", f"{title} failed with an unexpected error: {error!r}")
            dialogs.show_traceback(self._parent, f"{title}: unexpected error", error)

    def _on_run_finished(self, results) -> None:
        self._session.set_run(results)
        self._session.note("Run finished")

    def _on_compare_finished(self, results) -> None:
        self._session.set_comparison(results)
        best = results.ranking[0] if results.ranking else "—"
        self._session.note(f"Comparison finished: best plan {best}", 8000)

    def _on_blast_finished(self, results) -> None:
        self._session.set_blast(results)
        self._session.note(f"Blast radius in phase {results.phase}")
