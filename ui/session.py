"""Session: the state of one window, in one object that views subscribe to.

It owns the document being edited, the last run, comparison and blast-radius results,
the plan on display (an ordering of the comparison, or the scenario's own plan) and the
phase on display. Views never read each other's widgets: they read the session and
redraw on its signals, so the graph, the phase timeline and the result tables always
show the same plan and the same phase.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from PySide6.QtCore import QObject, Signal

from models import Scenario
from models.results import BlastResults, CompareResults, OrderingResult, PhaseResult, Results
from ui.document import ScenarioDocument

WRITTEN_STRATEGY = "as-written"
"""The strategy of the comparison's ordering that is the scenario's own plan."""


class Session(QObject):
    """Document, results, plan and phase on display of one window.

    Signals
    -------
    scenario_replaced
        Another scenario was opened, imported or created; every old result is gone.
    display_changed(object)
        The scenario the graph and the timeline draw changed (an edit, or another plan):
        ``display_scenario``.
    results_changed
        The run or the comparison changed (set, cleared or made stale by an edit).
    blast_changed(object)
        The blast-radius results (None: cleared).
    plan_changed(str)
        The plan on display ("" = the scenario's own plan).
    phase_changed(int)
        The phase on display (0 = baseline).
    service_selected(str)
        A service was picked in some view: every view highlights it.
    busy_changed(bool)
        A background job started or ended.
    message(str, str, object)
        Something to tell the user: level, text, detail lines (the window's banner).
    status(str, int)
        A passing note and how long to show it in ms (the window's status bar).
    """

    scenario_replaced = Signal()
    display_changed = Signal(object)
    results_changed = Signal()
    blast_changed = Signal(object)
    plan_changed = Signal(str)
    phase_changed = Signal(int)
    service_selected = Signal(str)
    busy_changed = Signal(bool)
    message = Signal(str, str, object)
    status = Signal(str, int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.replacing = False  # True while replace() loads the new document
        self.document = ScenarioDocument(self)
        self.run: Results | None = None
        self.comparison: CompareResults | None = None
        self.blast: BlastResults | None = None
        self.stale = False
        """True when the scenario was edited after the results were computed."""
        self._plan = ""
        self._phase = 0
        self._phase_chosen = False
        self._busy = False
        self._selecting = False
        self._display: Scenario | None = None
        self.document.scenario_changed.connect(self._on_document_scenario_changed)

    # --- reading ----------------------------------------------------------------------

    @property
    def scenario(self) -> Scenario | None:
        """The scenario being edited."""
        return self.document.scenario

    @property
    def display_scenario(self) -> Scenario | None:
        """The scenario with the phases of the plan on display."""
        return self._display

    @property
    def plan(self) -> str:
        """Name of the comparison's ordering on display; "" for the scenario's own plan."""
        return self._plan

    @property
    def phase(self) -> int:
        return self._phase

    @property
    def phase_chosen(self) -> bool:
        """True once the user has picked a phase (for this scenario)."""
        return self._phase_chosen

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def loaded(self) -> bool:
        return self.document.scenario is not None

    @property
    def has_results(self) -> bool:
        return self.run is not None or self.comparison is not None

    @property
    def ordering(self) -> OrderingResult | None:
        """The comparison's ordering on display, if any."""
        if self.comparison is None:
            return None
        for ordering in self.comparison.orderings:
            if ordering.name == self._plan:
                return ordering
        return None

    @property
    def shows_written_plan(self) -> bool:
        """True when the plan on display is the scenario's own (so it can be edited)."""
        ordering = self.ordering
        return ordering is None or ordering.strategy == WRITTEN_STRATEGY

    @property
    def plan_phases(self) -> list[PhaseResult]:
        """Measured phases of the plan on display (baseline first), [] if none."""
        if self.comparison is not None:
            ordering = self.ordering or self._written_ordering()
            return list(ordering.phases) if ordering is not None else []
        return list(self.run.phases) if self.run is not None else []

    @property
    def phase_count(self) -> int:
        """Phases of the plan on display, baseline aside."""
        return len(self._display.rollout.phases) if self._display is not None else 0

    # --- changing ---------------------------------------------------------------------

    def replace(
        self,
        scenario: Scenario,
        path: str | Path | None,
        *,
        dirty: bool = False,
        text: str | None = None,
    ) -> None:
        """Edit another scenario: every result, the plan and the phase are reset.

        ``text``: what the scenario was read from, so saving keeps its comments.
        """
        self.run = self.comparison = self.blast = None
        self.stale = False
        self._plan = ""
        self._phase, self._phase_chosen = 0, False
        self.replacing = True  # views that redraw on scenario_replaced skip the load's change
        try:
            self.document.load(scenario, path, dirty=dirty, text=text)
        finally:
            self.replacing = False
        self.scenario_replaced.emit()
        self.results_changed.emit()
        self.blast_changed.emit(None)
        self.plan_changed.emit("")
        self.phase_changed.emit(0)

    def set_run(self, results: Results) -> None:
        self.run, self.comparison, self.stale = results, None, False
        self._show_plan("")
        self.results_changed.emit()
        self.show_last_phase_unless_chosen()

    def set_comparison(self, results: CompareResults) -> None:
        self.comparison, self.run, self.stale = results, None, False
        self._show_plan(results.ranking[0] if results.ranking else "")
        self.results_changed.emit()
        self.show_last_phase_unless_chosen()

    def set_blast(self, results: BlastResults | None) -> None:
        self.blast = results
        self.blast_changed.emit(results)

    def set_plan(self, name: str) -> None:
        """Show the comparison's ordering ``name`` ("" or unknown: the scenario's own plan)."""
        known = self.comparison is not None and any(
            o.name == name for o in self.comparison.orderings
        )
        if not known:
            written = self._written_ordering()
            name = written.name if written is not None else ""
        self._show_plan(name)

    def use_plan(self) -> bool:
        """Make the comparison's plan on display the scenario's own, as one undo step.

        Returns False (and says why) when there is nothing to adopt or the plan no
        longer fits the edited scenario.
        """
        ordering, scenario = self.ordering, self.document.scenario
        if ordering is None or scenario is None or self.shows_written_plan:
            return False
        adopted = _with_plan(scenario, ordering.plan)
        if adopted is scenario:
            self.tell("error", f"Plan {ordering.name} no longer fits the edited scenario.")
            return False
        self.document.apply(adopted, f"use plan {ordering.name}")
        self.set_plan("")  # the written plan is now that plan: show it, editable
        self.note(f"The rollout plan is now {ordering.name}'s (Undo reverts it)")
        return True

    def set_phase(self, index: int, *, chosen: bool | None = None) -> None:
        """Show phase ``index``; ``chosen``: the user picked it (None keeps the flag)."""
        if chosen is not None:
            self._phase_chosen = chosen
        index = max(0, min(index, self.phase_count))
        if index != self._phase:
            self._phase = index
            self.phase_changed.emit(index)

    def show_last_phase_unless_chosen(self) -> None:
        """Results are in: show the last phase, unless the user had picked one."""
        if not self._phase_chosen:
            self.set_phase(self.phase_count)

    def select_service(self, name: str) -> None:
        """Highlight ``name`` in every view (a view's highlight never re-selects)."""
        if self._selecting:
            return
        self._selecting = True
        try:
            self.service_selected.emit(name)
        finally:
            self._selecting = False

    def set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busy_changed.emit(busy)

    def tell(self, level: str, text: str, lines: list[str] | None = None) -> None:
        """Show ``text`` to the user (the window puts it in its banner)."""
        self.message.emit(level, text, list(lines or []))

    def note(self, text: str, timeout_ms: int = 5000) -> None:
        """A passing note for the status bar (0 ms: until the next one)."""
        self.status.emit(text, timeout_ms)

    # --- internals --------------------------------------------------------------------

    def _written_ordering(self) -> OrderingResult | None:
        for ordering in self.comparison.orderings if self.comparison else []:
            if ordering.strategy == WRITTEN_STRATEGY:
                return ordering
        return None

    def _show_plan(self, name: str) -> None:
        changed = name != self._plan
        self._plan = name
        self._refresh_display()
        if changed:
            self.plan_changed.emit(name)
        self.set_phase(self._phase)  # the new plan may have fewer phases

    def _refresh_display(self) -> None:
        scenario = self.document.scenario
        ordering = self.ordering
        if scenario is not None and ordering is not None and not self.shows_written_plan:
            scenario = _with_plan(scenario, ordering.plan)
        self._display = scenario
        self.display_changed.emit(scenario)

    def _on_document_scenario_changed(self, _scenario: Scenario | None) -> None:
        if self.has_results and not self.stale:
            self.stale = True
            self.results_changed.emit()
        self._refresh_display()
        self.set_phase(self._phase)


def _with_plan(scenario: Scenario, plan: list[dict]) -> Scenario:
    """``scenario`` with the phases ``plan`` (wire form) instead of its own.

    An edit since the comparison may have removed a service the plan names: then the
    scenario's own plan is shown rather than one that no longer fits it.
    """
    data = scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)
    data.setdefault("rollout", {})["phases"] = plan
    try:
        return Scenario.model_validate(data)
    except ValidationError:
        return scenario
