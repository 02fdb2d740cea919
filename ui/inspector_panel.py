"""InspectorPanel: edit the selected service, call, entrypoint, mesh policy or phase.

The form is built from the selected document's pydantic model: one editor per
field, the field's description as tooltip. A committed value is written into a copy
of the scenario's wire data and the whole scenario is validated; a problem is shown
inline next to the field it concerns and the scenario stays as it was.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from models import (
    Call,
    Entrypoint,
    Mesh,
    MeshPolicy,
    Metadata,
    Phase,
    Scenario,
    Service,
    Simulation,
)
from ui import edits
from ui.backend import ScenarioError, format_path
from ui.document import ScenarioDocument
from ui.fields import UNSET, FieldEditor, field_kind, wire_key
from ui.inspector_extras import SCENARIO, InspectorExtras, Selection, script_calls
from ui.palette import ERROR_TEXT
from ui.wire_paths import assign, lookup, owner

Loc = tuple[str | int, ...]

LABELS = {
    "cpu_per_1k_rps": "CPU per 1k rps",
    "memory_mi_b": "Memory (MiB)",
    "consecutive_5xx_errors": "Consecutive 5xx",
    "mtls": "mTLS",
    "slo": "SLO",
    "latency_p99": "Latency p99",
    "retry_on": "Retry on",
}


class InspectorPanel(InspectorExtras, QWidget):
    """Validated editing of the selected part of the scenario (extras: ``InspectorExtras``)."""

    selection_changed = Signal(object)
    service_clicked = Signal(str)

    def __init__(self, document: ScenarioDocument, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("InspectorPanel")
        self._document = document
        self._selection = SCENARIO
        self.editors: dict[str, FieldEditor] = {}
        self._groups: dict[str, QGroupBox] = {}
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
        document.scenario_changed.connect(self._on_document_scenario_changed)
        self._rebuild()

    @property
    def selection(self) -> Selection:
        return self._selection

    # --- selecting --------------------------------------------------------------------

    def select(self, selection: Selection) -> None:
        self._selection = selection
        self._rebuild()
        self.selection_changed.emit(selection)

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

    # --- building ---------------------------------------------------------------------

    def _resolve(self) -> tuple[str, list[tuple[str, Loc, type[BaseModel], tuple]]] | None:
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
        if kind == "phase" and key[0] < len(scenario.rollout.phases):
            name = scenario.rollout.phases[key[0]].name
            loc = ("rollout", "phases", key[0])
            return f"Phase {key[0] + 1}: {name}", [("", loc, Phase, ())]
        return "Scenario settings", [
            ("Scenario", ("metadata",), Metadata, ()),
            ("Simulation", ("simulation",), Simulation, ()),
            ("Mesh", ("mesh",), Mesh, ("policies",)),
        ]

    def _rebuild(self) -> None:
        focused = next((p for p, e in self.editors.items() if e.widget.hasFocus()), None)
        self.editors, self._groups = {}, {}
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
        resolved = self._resolve()
        title, sections = resolved
        if title == "Scenario settings" and self._selection != SCENARIO:
            self._selection = SCENARIO
        same = title == self.title.text() and self.scroll.widget() is not None
        self.title.setText(title)
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(2, 2, 2, 2)
        for section_title, loc, model, exclude in sections:
            box = QGroupBox(section_title) if section_title else QWidget()
            form = QFormLayout(box)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
            self._build_form(form, loc, model, exclude)
            outer.addWidget(box)
        self._add_extras(outer)
        outer.addStretch(1)
        self._set_body(body, self.scroll.verticalScrollBar().value() if same else 0)
        self._refresh_values()
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

    def _build_form(self, form: QFormLayout, loc: Loc, model: type[BaseModel], exclude) -> None:
        for name, info in model.model_fields.items():
            if name in exclude or name in ("api_version", "kind"):
                continue
            path = (*loc, wire_key(name, info))
            label = LABELS.get(name, name.replace("_", " ").capitalize())
            kind, extra = field_kind(info.annotation)
            if kind == "group":
                box = QGroupBox(label)
                box.setToolTip(info.description or "")
                if info.default is None:
                    box.setCheckable(True)
                    box.toggled.connect(lambda on, p=path: self._commit(p, {} if on else UNSET))
                    self._groups[format_path(path)] = box
                sub = QFormLayout(box)
                sub.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
                self._build_form(sub, path, extra[0], ())
                form.addRow(box)
                continue
            editor = FieldEditor(label, info, kind, extra)
            editor.committed.connect(lambda value, p=path: self._commit(p, value))
            self.editors[format_path(path)] = editor
            form.addRow(editor.label, editor)

    def _refresh_values(self) -> None:
        data = self._document.scenario.model_dump(mode="json", by_alias=True)
        for path, box in self._groups.items():
            box.blockSignals(True)
            box.setChecked(lookup(data, path) is not None)
            box.blockSignals(False)
        for path, editor in self.editors.items():
            editor.set_value(lookup(data, path))
            editor.set_error(None)

    # --- editing ----------------------------------------------------------------------

    def _commit(self, path: Loc, value: Any) -> None:
        selection = self._selection
        renaming = selection.kind == "service" and len(path) == 3 and path[2] == "name"
        if renaming and value is not UNSET:
            old = selection.key[0]

            def change(data: dict) -> None:
                edits.rename_service(data, old, value)

            self._selection = Selection("service", (value,))
        else:

            def change(data: dict) -> None:
                assign(data, path, value)

        try:
            self._document.edit(f"Edit {format_path(path)}", change)
        except ScenarioError as err:
            self._selection = selection
            self._show_problems(err, path)

    def _show_problems(self, err: ScenarioError, edited: Loc) -> None:
        for editor in self.editors.values():
            editor.set_error(None)
        general: list[str] = []
        edited_path = format_path(edited)
        for problem in err.problems:
            target = owner(problem.path, self.editors)
            if target is None and edited_path.startswith(problem.path):
                target = edited_path if edited_path in self.editors else None
            if target is None:
                general.append(
                    f"{problem.path}: {problem.message}" if problem.path else problem.message
                )
                continue
            editor = self.editors[target]
            previous = editor.error.text()
            editor.set_error(f"{previous}\n{problem.message}" if previous else problem.message)
        self.general_error.setText("\n".join(general))
        self.general_error.setVisible(bool(general))

    def _on_document_scenario_changed(self, scenario: Scenario) -> None:
        if scenario is None:
            return
        resolved = self._resolve()
        current = self.title.text()
        if resolved[0] != current or self._selection.kind in ("service", "scenario", "call"):
            self._rebuild()
        else:
            self._refresh_values()
            self.general_error.hide()
