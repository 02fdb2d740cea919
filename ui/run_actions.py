"""RunActions: run, compare and blast radius of the window's scenario, in the background.

One job at a time per window. Progress is a signal (the window shows it in its status
bar with a Cancel button); results go into the session, which every view follows;
failures to the banner (known errors) or a traceback dialog (bugs).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from models import STRATEGIES, Scenario
from ui import dialogs, job_process
from ui.backend import (
    MeshSimError,
    ScenarioError,
    estimate_run,
    fits_in_memory,
    to_wire,
)
from ui.session import Session
from ui.worker import JobCrashed, JobFailed, Worker

LONG_RUN_S = 60.0
"""A job estimated to take longer than this asks first."""


class RunActions(QObject):
    """Starts and follows the window's background jobs."""

    job_started = Signal(str)
    job_ended = Signal(str)
    progress = Signal(float)
    series = Signal(int, object)  # a run's series so far: phase index, SPEC §14 JSON

    def __init__(self, session: Session, parent: QWidget) -> None:
        super().__init__(parent)
        self._session = session
        self._parent = parent
        self.worker: Worker | None = None
        self.workers: int | None = None
        """Processes for the engine: None = every core (the engine's default)."""
        self.phase_count = 4
        self.strategies: list[str] | None = None
        """Strategies Compare generates: None = all of them."""
        self.ask_before_long_runs = True
        """False when nobody is there to answer (``--run --quit`` automation)."""
        self.estimate = estimate_run
        """How a job is sized before it starts (``meshsim.estimate_run``)."""
        self.job_target = job_process.run_job
        """What the job's process runs (a module-level function, see ``ui.job_process``)."""

    @property
    def busy(self) -> bool:
        return self.worker is not None and self.worker.is_running

    def start_run(self) -> Worker | None:
        """Simulate the baseline and every phase of the scenario as written."""
        if not self._sized("Run", self._session.scenario, workers=self.workers or 1):
            return None
        return self._start("Run", "run", {"workers": self.workers or 1}, self._on_run_finished)

    def start_compare(self) -> Worker | None:
        """Simulate and rank the scenario's plan against the generated strategies."""
        options = {
            "strategies": self.strategies,
            "phase_count": self.phase_count,
            "workers": self.workers,
        }
        scenario = self._session.scenario
        if scenario is not None:
            plans = len(self.strategies or STRATEGIES) + len(scenario.orderings)
            if not self._sized(
                "Compare", scenario, phases=self.phase_count + 1, plans=plans,
                workers=self.workers,
            ):  # fmt: skip
                return None
        return self._start("Compare", "compare", options, self._on_compare_finished)

    def start_blast(self) -> Worker | None:
        """Blast radius of every service in the phase (and plan) on display."""
        options = {"phase": self._session.phase, "workers": self.workers}
        scenario = self._session.display_scenario
        if scenario is not None and not self._sized(
            "Blast radius", scenario, phases=1, plans=len(scenario.services) + 1,
            workers=self.workers,
        ):  # fmt: skip
            return None
        return self._start(
            "Blast radius", "blast", options, self._on_blast_finished, scenario=scenario
        )

    def cancel(self) -> None:
        """End the job now (its process is killed; the results shown stay)."""
        if self.busy:
            self.worker.cancel()

    def shutdown(self) -> None:
        """Cancel any job (on close)."""
        self.cancel()

    def _sized(self, title: str, scenario: Scenario | None, **size) -> bool:
        """Size the job first: refuse one that cannot fit in memory, ask before a long one."""
        if scenario is None or self.busy:
            return True  # _start says why nothing starts
        workers = size.pop("workers", None)
        estimate = self.estimate(scenario, workers=max(1, workers or os.cpu_count() or 1), **size)
        reason = fits_in_memory(estimate)
        if reason is not None:
            self._session.tell("error", f"{title} not started: {reason}")
            return False
        if estimate.seconds > LONG_RUN_S and self.ask_before_long_runs:
            return dialogs.ask_long_run(self._parent, title, estimate.summary())
        return True

    # --- lifecycle --------------------------------------------------------------------

    def _start(
        self,
        title: str,
        kind: str,
        options: dict[str, Any],
        on_done: Callable[[Any], None],
        scenario: Scenario | None = None,
    ) -> Worker | None:
        session = self._session
        scenario = scenario or session.scenario
        if scenario is None:
            return None
        if self.busy:
            session.note(f"{self.worker.title} is still running", 4000)
            return None
        worker = Worker(title, kind, to_wire(scenario), options, self, self.job_target)
        worker.started.connect(self._on_worker_started)
        worker.progress.connect(self.progress)
        worker.series.connect(self.series)
        # Ended first: the note "Run finished" then outlives the cleared "Run…".
        worker.finished.connect(self._on_worker_ended)
        worker.finished.connect(on_done)
        worker.errored.connect(self._on_worker_errored)
        worker.cancelled.connect(self._on_worker_cancelled)
        self.worker = worker
        session.set_busy(True)
        session.note(f"{title}…", 0)
        worker.start()
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
        elif isinstance(error, JobCrashed):
            self._session.tell(
                "error",
                f"{title} failed: {error}. Your scenario and its edits are unchanged.",
            )
        elif isinstance(error, JobFailed):
            self._session.tell("error", f"{title} failed with an unexpected error: {error}")
            dialogs.show_traceback(self._parent, f"{title}: unexpected error", error)
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
