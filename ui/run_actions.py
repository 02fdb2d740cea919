"""RunActions: run, compare and blast radius of the window's scenario, in the background.

One job at a time per window. Progress goes to the status bar with a Cancel button;
results go to the results panel and the graph; failures to the banner (known
errors) or a traceback dialog (bugs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from ui import dialogs
from ui.backend import MeshSimError, ScenarioError, blast_radius, compare, run_scenario
from ui.worker import Worker

if TYPE_CHECKING:
    from ui.main_window import MainWindow


class RunActions(QObject):
    """Starts and follows the window's background jobs."""

    job_started = Signal(str)
    job_ended = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.worker: Worker | None = None
        self.workers: int | None = None
        """Processes for the engine: None = every core (the engine's default)."""
        self.phase_count = 4

    @property
    def busy(self) -> bool:
        return self.worker is not None and self.worker.is_running

    def start_run(self) -> Worker | None:
        """Simulate the baseline and every phase of the scenario as written."""
        scenario = self._window.document.scenario
        workers = self.workers or 1

        def job(on_progress, should_stop):
            return run_scenario(
                scenario, workers=workers, on_progress=on_progress, should_stop=should_stop
            )

        return self._start("Run", job, self._on_run_finished)

    def start_compare(self) -> Worker | None:
        """Simulate and rank the scenario's plan against the generated strategies."""
        scenario = self._window.document.scenario
        workers, phase_count = self.workers, self.phase_count

        def job(on_progress, should_stop):
            return compare(
                scenario,
                phase_count=phase_count,
                workers=workers,
                on_progress=on_progress,
                should_stop=should_stop,
            )

        return self._start("Compare", job, self._on_compare_finished)

    def start_blast(self) -> Worker | None:
        """Blast radius of every service in the phase on display."""
        scenario = self._window.document.scenario
        phase = self._window.timeline.displayed_phase
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
            self._window.statusBar().showMessage("Cancelling…")

    def shutdown(self) -> None:
        """Cancel any job and wait for it (on close)."""
        self.cancel()
        self.pool.waitForDone(30_000)

    # --- lifecycle --------------------------------------------------------------------

    def _start(self, title: str, job, on_done: Callable[[Any], None]) -> Worker | None:
        window = self._window
        if window.document.scenario is None:
            return None
        if self.busy:
            window.statusBar().showMessage(f"{self.worker.title} is still running", 4000)
            return None
        worker = Worker(job, title, self)
        worker.started.connect(self._on_worker_started)
        worker.progress.connect(self._on_worker_progress)
        worker.finished.connect(on_done)
        worker.finished.connect(self._on_worker_ended)
        worker.errored.connect(self._on_worker_errored)
        worker.cancelled.connect(self._on_worker_cancelled)
        self.worker = worker
        window.set_running(True, title)
        worker.start(self.pool)
        self.job_started.emit(title)
        return worker

    def _on_worker_started(self) -> None:
        self._window.progress.setValue(0)

    def _on_worker_progress(self, fraction: float) -> None:
        self._window.progress.setValue(int(fraction * 1000))

    def _on_worker_ended(self, _result: object = None) -> None:
        title = self.worker.title if self.worker else ""
        self._window.statusBar().clearMessage()
        self._window.set_running(False, title)
        self.job_ended.emit(title)

    def _on_worker_cancelled(self) -> None:
        self._on_worker_ended()
        self._window.banner.show_message("info", "Cancelled: the results shown are unchanged.")

    def _on_worker_errored(self, error: BaseException) -> None:
        title = self.worker.title if self.worker else "Run"
        self._on_worker_ended()
        if isinstance(error, ScenarioError):
            self._window.banner.show_message("error", f"{title} failed:", error.lines())
        elif isinstance(error, MeshSimError):
            self._window.banner.show_message("error", f"{title} failed: {error}")
        else:
            self._window.banner.show_message(
                "error", f"{title} failed with an unexpected error: {error!r}"
            )
            dialogs.show_traceback(self._window, f"{title}: unexpected error", error)

    def _on_run_finished(self, results) -> None:
        window = self._window
        window.results.show_run(results)
        window.graph.set_results(window.results.as_written_phases())
        window.timeline.show_phase_after_run()
        window.results.set_phase(window.timeline.displayed_phase)
        window.statusBar().showMessage("Run finished", 5000)

    def _on_compare_finished(self, results) -> None:
        window = self._window
        window.results.show_compare(results)
        window.graph.set_results(window.results.as_written_phases())
        window.timeline.show_phase_after_run()
        window.results.set_phase(window.timeline.displayed_phase)
        best = results.ranking[0] if results.ranking else "—"
        window.statusBar().showMessage(f"Comparison finished: best plan {best}", 8000)

    def _on_blast_finished(self, results) -> None:
        self._window.results.show_blast(results)
        self._window.statusBar().showMessage(f"Blast radius in phase {results.phase}", 5000)
