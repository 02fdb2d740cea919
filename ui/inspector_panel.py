"""InspectorPanel: edit the selected service, call, entrypoint, mesh policy or phase.

The panel assembles small widgets, one per concern: a title, a ``FieldForm`` built
from the selection's pydantic model, and the selection's extras (``ui.inspector_extras``).
A committed value is written into a copy of the scenario's wire data and the whole
scenario is validated; a problem is shown inline next to the field it concerns and the
scenario stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from models import (
    Call,
    Entrypoint,
    Fault,
    Mesh,
    MeshPolicy,
    Metadata,
    Phase,
    Scenario,
    Service,
    Simulation,
)
from models.beyond import Cost
from ui import edits
from ui.backend import ScenarioError, to_wire
from ui.fault_editor import EXCLUDED, FaultButtons, FaultList
from ui.fields import UNSET, FieldEditor
from ui.inspector_extras import SCENARIO, Extras, Selection, extras_for, script_calls
from ui.inspector_form import FieldForm, Loc, Section
from ui.palette import ERROR_TEXT
from ui.phase_editor import PhaseEditor, PhasePolicyButtons
from ui.session import Session
from ui.sweep_actions import spec_path
from ui.wire_paths import assign

SETTINGS_TITLE = "Scenario settings"
PHASE_LISTS = ("namespaces", "mtls", "policies", "waypoints", "canary", "authz")
"""Phase fields edited by ``PhaseEditor`` rather than the form."""
REBUILT = ("service", "scenario", "call", "policy", "phase", "phase_policy", "fault")
"""Selections whose extras show the scenario: rebuilt after every edit."""


class InspectorPanel(QWidget):
    """Validated editing of the selected part of the scenario."""

    selection_changed = Signal(object)
    sweep_requested = Signal(str, object)
    """(SPEC §15 path, current value): "Sweep this…" on a field."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("InspectorPanel")
        self._session = session
        self._document = session.document
        self._selection = SCENARIO
        self.form: FieldForm | None = None
        self.extras: Extras | None = None
        self.more_extras: list[Extras] = []
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-size: 14px; font-weight: bold; padding: 2px;")
        self.general_error = QLabel()
        self.general_error.setObjectName("form_error")
        self.general_error.setWordWrap(True)
        self.general_error.setStyleSheet(f"color: {ERROR_TEXT};")
        self.general_error.hide()
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.general_error)
        layout.addWidget(self.scroll, 1)
        self._document.scenario_changed.connect(self._on_document_scenario_changed)
        session.scenario_replaced.connect(self._on_session_scenario_replaced)
        session.service_selected.connect(self._on_session_service_selected)
        self._rebuild()

    @property
    def selection(self) -> Selection:
        return self._selection

    @property
    def editors(self) -> dict[str, FieldEditor]:
        """The form's editors by field path ({} when nothing is open)."""
        return self.form.editors if self.form is not None else {}

    # --- selecting --------------------------------------------------------------------

    def select(self, selection: Selection) -> None:
        self._selection = selection
        self._rebuild()
        self.selection_changed.emit(selection)

    def select_scenario(self) -> None:
        self.select(SCENARIO)

    def select_service(self, name: str) -> None:
        self.select(Selection("service", (name,)))

    def select_entrypoint(self, name: str) -> None:
        scenario = self._document.scenario
        names = [e.name for e in scenario.entrypoints]
        if name in names:
            self.select(Selection("entrypoint", (names.index(name),)))

    def select_call(self, service: str, to: str) -> None:
        """Select the first call of ``service``'s script that goes to ``to``."""
        for item, sub, call in script_calls(self._document.scenario.service(service)):
            if call.to == to:
                self.select(Selection("call", (service, item, sub)))
                return

    def select_phase(self, index: int) -> None:
        """Select 1-based phase ``index``."""
        self.select(Selection("phase", (index - 1,)))

    def select_fault(self, index: int) -> None:
        """Select fault ``index`` (0-based) of the scenario."""
        self.select(Selection("fault", (index,)))

    # --- building ---------------------------------------------------------------------

    def _resolve(self) -> tuple[str, list[Section]]:
        """Title and sections (title, loc, model class, excluded fields) of the selection."""
        scenario = self._document.scenario
        kind, key = self._selection.kind, self._selection.key
        names = [s.name for s in scenario.services]
        if kind == "service" and key[0] in names:
            loc = ("services", names.index(key[0]))
            return f"Service {key[0]}", [("", loc, Service, ("calls",))]
        if kind == "call" and key[0] in names:
            service = scenario.service(key[0])
            found = [(i, s) for i, s, _ in script_calls(service)]
            if (key[1], key[2]) in found:
                loc: Loc = ("services", names.index(key[0]), "calls", key[1])
                loc += ("parallel", key[2]) if key[2] is not None else ()
                return f"Call of {key[0]}", [("", loc, Call, ())]
        if kind == "entrypoint" and key[0] < len(scenario.entrypoints):
            name = scenario.entrypoints[key[0]].name
            return f"Entrypoint {name}", [("", ("entrypoints", key[0]), Entrypoint, ())]
        if kind == "policy" and key[0] < len(scenario.mesh.policies):
            host = scenario.mesh.policies[key[0]].host
            loc = ("mesh", "policies", key[0])
            return f"Mesh policy for {host}", [("", loc, MeshPolicy, ())]
        if kind == "policy_draft" and key[0] in names:
            hosts = [p.host for p in scenario.mesh.policies]
            if key[0] in hosts:  # created since (by an edit, or undo/redo)
                self._selection = Selection("policy", (hosts.index(key[0]),))
                return self._resolve()
            loc = ("mesh", "policies", len(hosts))
            return f"Mesh policy for {key[0]}", [("", loc, MeshPolicy, ("host",))]
        if kind == "phase" and key[0] < len(scenario.rollout.phases):
            name = scenario.rollout.phases[key[0]].name
            loc = ("rollout", "phases", key[0])
            return f"Phase {key[0] + 1}: {name}", [("", loc, Phase, PHASE_LISTS)]
        if kind in ("phase_policy", "phase_policy_draft") and key[0] < len(scenario.rollout.phases):
            return self._resolve_phase_policy(scenario)
        if kind == "fault" and key[0] < len(scenario.faults):
            fault = scenario.faults[key[0]]
            title = f"Fault {key[0] + 1}: {fault.service} {fault.type}"
            return title, [("", ("faults", key[0]), Fault, EXCLUDED[fault.type])]
        sections: list[Section] = [
            ("Scenario", ("metadata",), Metadata, ()),
            ("Simulation", ("simulation",), Simulation, ()),
            ("Mesh", ("mesh",), Mesh, ("policies",)),
        ]
        if scenario.cost is not None:
            sections.append(("Proxy cost", ("cost",), Cost, ()))
        return SETTINGS_TITLE, sections

    def _resolve_phase_policy(self, scenario: Scenario) -> tuple[str, list[Section]]:
        kind, (index, which) = self._selection.kind, self._selection.key
        phase = scenario.rollout.phases[index]
        hosts = [p.host for p in phase.policies]
        if kind == "phase_policy_draft" and which in hosts:  # created since
            self._selection = Selection("phase_policy", (index, hosts.index(which)))
            return self._resolve()
        if kind == "phase_policy" and which >= len(hosts):
            self._selection = Selection("phase", (index,))
            return self._resolve()
        host = which if kind == "phase_policy_draft" else hosts[which]
        policy = len(hosts) if kind == "phase_policy_draft" else which
        loc = ("rollout", "phases", index, "policies", policy)
        exclude = ("host",) if kind == "phase_policy_draft" else ()
        return f"Phase {phase.name}: policy for {host}", [("", loc, MeshPolicy, exclude)]

    def _make_extras(self) -> list[Extras]:
        selection, scenario = self._selection, self._document.scenario
        if selection.kind == "phase":
            return [PhaseEditor(selection, scenario)]
        if selection.kind in ("phase_policy", "phase_policy_draft"):
            return [PhasePolicyButtons(selection)]
        if selection.kind == "fault":
            return [FaultButtons(selection)]
        made = extras_for(selection, scenario)
        if selection.kind == "scenario":
            return [made, FaultList(selection, scenario)]
        return [made] if made is not None else []

    def _rebuild(self) -> None:
        focused = self.form.focused() if self.form is not None else None
        self.form, self.extras, self.more_extras = None, None, []
        self.general_error.hide()
        if self._document.scenario is None:
            self.title.setText("No scenario")
            hint = QLabel(
                "Open a scenario or a sample (File menu). Then click a service, a call or "
                "a phase to edit it here."
            )
            hint.setWordWrap(True)
            hint.setAlignment(Qt.AlignmentFlag.AlignTop)
            hint.setStyleSheet("color: #607d8b; padding: 8px;")
            self._set_body(hint)
            return
        title, sections = self._resolve()
        if title == SETTINGS_TITLE:
            self._selection = SCENARIO
        same = title == self.title.text() and self.scroll.widget() is not None
        self.title.setText(title)
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(2, 2, 2, 2)
        services = tuple(s.name for s in self._document.scenario.services)
        self.form = FieldForm(
            sections, choices={"service": services} if self._selection.kind == "fault" else None
        )
        self.form.committed.connect(self._on_form_committed)
        self.form.sweep_requested.connect(self._on_form_sweep_requested)
        self.form.sweeps = not self._selection.kind.endswith("_draft")
        outer.addWidget(self.form)
        made = self._make_extras()
        self.extras, self.more_extras = (made[0] if made else None), made[1:]
        for extras in made:
            extras.select_requested.connect(self._on_extras_select_requested)
            extras.edit_requested.connect(
                lambda text, change, then, e=extras: self._on_extras_edit_requested(
                    text, change, then, e
                )
            )
            outer.addWidget(extras)
        outer.addStretch(1)
        self._set_body(body, self.scroll.verticalScrollBar().value() if same else 0)
        self.form.refresh(self._document.scenario)
        if same and focused in self.editors:
            self.editors[focused].widget.setFocus()

    def _set_body(self, body: QWidget, scroll: int = 0) -> None:
        # The old form may be inside its own event handler (Return in a field, a click
        # in the calls list): delete it later, never under its feet.
        old = self.scroll.takeWidget()
        if old is not None:
            old.hide()
            old.deleteLater()
        self.scroll.setWidget(body)
        if scroll:
            # Once the new form is laid out; the bar as context drops it if it is gone.
            bar = self.scroll.verticalScrollBar()
            QTimer.singleShot(0, bar, lambda: bar.setValue(scroll))

    # --- editing ----------------------------------------------------------------------

    def _edit(self, text: str, change: Callable[[dict], object], edited: Loc) -> bool:
        try:
            self._document.edit(text, change)
        except ScenarioError as err:
            general = self.form.show_problems(err, edited) if self.form else []
            self.general_error.setText("\n".join(general))
            self.general_error.setVisible(bool(general))
            return False
        return True

    def _on_form_committed(self, path: Loc, value: Any) -> None:
        selection = self._selection
        renaming = selection.kind == "service" and len(path) == 3 and path[2] == "name"
        if renaming and value is not UNSET:
            old = selection.key[0]

            def change(data: dict) -> None:
                edits.rename_service(data, old, value)

            self._selection = Selection("service", (value,))
        elif selection.kind in ("policy_draft", "phase_policy_draft"):
            if value is UNSET:
                return  # clearing a value of a policy that does not exist: nothing to do
            holder = path[:2] if selection.kind == "policy_draft" else path[:4]
            host, index = selection.key[-1], path[len(holder)]

            def change(data: dict) -> None:
                _policies(data, holder).append({"host": host})
                assign(data, path, value)

            if selection.kind == "policy_draft":
                self._selection = Selection("policy", (index,))
            else:
                self._selection = Selection("phase_policy", (selection.key[0], index))
        elif selection.kind == "fault" and path[-1] == "type" and value is not UNSET:

            def change(data: dict) -> None:
                edits.set_fault_type(data, selection.key[0], value)

        else:

            def change(data: dict) -> None:
                assign(data, path, value)

        current = to_wire(self._document.scenario)
        if selection.kind in ("policy_draft", "phase_policy_draft"):
            holder = path[:2] if selection.kind == "policy_draft" else path[:4]
            _policies(current, holder).append({"host": selection.key[-1]})
        words = edits.describe_edit(current, path, None if value is UNSET else value)
        if not self._edit(words, change, path):
            self._selection = selection

    def _on_form_sweep_requested(self, path: Loc, value: Any) -> None:
        self.sweep_requested.emit(spec_path(to_wire(self._document.scenario), path), value)

    def _on_extras_select_requested(self, selection: Selection) -> None:
        self.select(selection)

    def _on_extras_edit_requested(
        self, text: str, change, then: Selection | None, extras: Extras | None = None
    ) -> None:
        try:
            self._document.edit(text, change)
        except ScenarioError as err:
            general = extras.show_problems(err) if extras is not None else err.lines()
            self.general_error.setText("\n".join(general))
            self.general_error.setVisible(bool(general))
            return
        if then is not None:
            self.select(then)

    def _on_session_scenario_replaced(self) -> None:
        self.select(SCENARIO)

    def _on_session_service_selected(self, name: str) -> None:
        self.select_service(name)

    def _on_document_scenario_changed(self, scenario: Scenario) -> None:
        if scenario is None or self._session.replacing:
            return  # a new document: scenario_replaced selects its settings next
        title, _ = self._resolve()
        if title != self.title.text() or self._selection.kind in REBUILT:
            self._rebuild()
        elif self.form is not None:
            self.form.refresh(scenario)
            self.general_error.hide()


def _policies(data: dict, holder: Loc) -> list:
    """The ``policies`` list at ``holder`` (``mesh`` or a phase), created when missing."""
    node = data
    for part in holder[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    return node.setdefault(holder[-1], [])
