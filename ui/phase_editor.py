"""PhaseEditor: a phase's namespaces, mTLS changes, policies and waypoints as forms.

The inspector's form edits a phase's name, services and gateway; these lists get
structured editors instead of YAML text: a list of names with a picker (namespaces,
waypoints), a table of mTLS rules (scope, name, mode), and the phase's policies (click
one to edit it like a mesh policy; a new one exists only once a value is changed).
Every change is one edit of the whole list (one undo step); a rejected edit shows its
problem under the editor it concerns, naming the field, and changes nothing.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from meshsim import phase_state
from models import Scenario
from ui import edits
from ui.backend import ScenarioError
from ui.inspector_extras import Extras, Selection
from ui.phase_beyond import beyond_editors
from ui.phase_widgets import (
    HINT,
    error_label,
    name_combo,
    replaced,
    set_error,
    small_combo,
    tool_button,
)

MODES = ("STRICT", "PERMISSIVE")


class NameListEditor(QGroupBox):
    """Names (namespaces, waypoints): the list, a picker to add one, a remove button."""

    changed = Signal(list)

    def __init__(
        self, title: str, tip: str, names: list[str], candidates: list[str], noun: str
    ) -> None:
        super().__init__(title)
        self.setToolTip(tip)
        self.names = list(names)
        self.list = QListWidget()
        self.list.setMaximumHeight(70)
        self.list.addItems(self.names)
        self.picker = name_combo([c for c in candidates if c not in self.names])
        self.picker.setToolTip(tip)
        self.picker.lineEdit().setPlaceholderText(f"pick or type a {noun}")
        self.add_button = tool_button("Add", f"Add this name to the {title.lower()}")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.picker.lineEdit().returnPressed.connect(self._on_add_button_clicked)
        self.remove_button = tool_button("Remove", "Remove the selected names")
        self.remove_button.setEnabled(bool(self.names))
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.error = error_label()
        row = QHBoxLayout()
        row.addWidget(self.picker, 1)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addLayout(row)
        layout.addWidget(self.error)
        self.list.setHidden(not self.names)  # once parented: never a window of its own

    def _on_add_button_clicked(self) -> None:
        name = self.picker.currentText().strip()
        if not name:
            set_error(self.error, "pick or type a name first")
        elif name in self.names:
            set_error(self.error, f"{name} is already in the list")
        else:
            set_error(self.error, None)
            self.changed.emit([*self.names, name])

    def _on_remove_button_clicked(self) -> None:
        gone = {item.text() for item in self.list.selectedItems()}
        if not gone and self.list.count() == 1:
            gone = {self.names[0]}
        if gone:
            self.changed.emit([n for n in self.names if n not in gone])


MESH_WIDE = "mesh-wide"
NAMESPACE = "namespace "


def rule_target(rule: dict) -> str:
    """What a rule applies to, as its editor shows it: a service, ``namespace X``, mesh-wide."""
    if rule["scope"] == "mesh":
        return MESH_WIDE
    prefix = NAMESPACE if rule["scope"] == "namespace" else ""
    return prefix + (rule.get("name") or "")


def parse_target(text: str) -> dict:
    """The scope and name of a target typed or picked in the editor."""
    text = text.strip()
    if text == MESH_WIDE:
        return {"scope": "mesh"}
    if text.startswith(NAMESPACE):
        return {"scope": "namespace", "name": text[len(NAMESPACE) :].strip()}
    return {"scope": "service", "name": text}


class MtlsRulesEditor(QGroupBox):
    """PeerAuthentication changes of a phase: one row per rule (applies to, mode, ✕).

    "Applies to" is a service, ``namespace X`` or mesh-wide, so a rule fits one row of
    the narrow inspector.
    """

    changed = Signal(list)

    def __init__(self, rules: list[dict], services: list[str], namespaces: list[str]) -> None:
        super().__init__("mTLS changes")
        self.setToolTip("PeerAuthentication changes made in this phase (SPEC §7)")
        self.rules = [dict(r) for r in rules]
        self._services = services
        self._targets = [MESH_WIDE, *(NAMESPACE + n for n in namespaces), *services]
        self.rows: list[tuple[QComboBox, QComboBox]] = []
        grid = QGridLayout()
        grid.setHorizontalSpacing(3)
        grid.setVerticalSpacing(2)
        for column, text in enumerate(("applies to", "mode")):
            header = QLabel(text)
            header.setStyleSheet(HINT)
            grid.addWidget(header, 0, column)
        for row, rule in enumerate(self.rules, start=1):
            self._add_row(grid, row, rule)
        grid.setColumnStretch(0, 1)
        self.empty = QLabel("No mTLS change in this phase.")
        self.empty.setStyleSheet(HINT)
        self.add_button = tool_button("+ Add rule", "Add a STRICT rule for a meshed service")
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.error = error_label()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.empty)
        if self.rules:
            layout.addLayout(grid)
        layout.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.error)
        self.empty.setHidden(bool(self.rules))

    def _add_row(self, grid: QGridLayout, row: int, rule: dict) -> None:
        index = row - 1
        target = name_combo(self._targets, rule_target(rule))
        target.setToolTip(
            f"{rule_target(rule)}: a service, 'namespace NAME' or mesh-wide (type or pick)"
        )
        mode = small_combo(MODES, 6)
        mode.setToolTip("STRICT: mTLS only; PERMISSIVE: mTLS and plaintext")
        mode.setCurrentText(rule["mode"])
        remove = tool_button("✕", "Remove this rule")
        remove.setAutoRaise(True)
        target.activated.connect(lambda _i, k=index: self._on_target_changed(k))
        target.lineEdit().editingFinished.connect(lambda k=index: self._on_target_changed(k))
        mode.activated.connect(lambda _i, k=index: self._on_mode_changed(k))
        remove.clicked.connect(lambda _c=False, k=index: self._on_remove_clicked(k))
        for column, widget in enumerate((target, mode, remove)):
            grid.addWidget(widget, row, column)
        self.rows.append((target, mode))

    def _emit_with(self, index: int, rule: dict | None) -> None:
        self.changed.emit(replaced([dict(r) for r in self.rules], index, rule))

    def _on_target_changed(self, index: int) -> None:
        rule = {
            **parse_target(self.rows[index][0].currentText()),
            "mode": self.rules[index]["mode"],
        }
        if rule != self.rules[index]:
            self._emit_with(index, rule)

    def _on_mode_changed(self, index: int) -> None:
        mode = self.rows[index][1].currentText()
        if mode != self.rules[index]["mode"]:
            self._emit_with(index, {**self.rules[index], "mode": mode})

    def _on_remove_clicked(self, index: int) -> None:
        self._emit_with(index, None)

    def _on_add_button_clicked(self) -> None:
        taken = {r.get("name") for r in self.rules if r["scope"] == "service"}
        free = [s for s in self._services if s not in taken]
        target = {"scope": "service", "name": free[0]} if free else {"scope": "mesh"}
        self.changed.emit([*self.rules, {**target, "mode": "STRICT"}])


class PhaseEditor(Extras):
    """The structured lists of a phase (``selection.key``: its 0-based index)."""

    def __init__(self, selection: Selection, scenario: Scenario) -> None:
        super().__init__(selection)
        self.setObjectName("PhaseEditor")
        index = selection.key[0]
        phase = scenario.rollout.phases[index]
        self._name = phase.name
        services = [s.name for s in scenario.services]
        namespaces = sorted({s.namespace for s in scenario.services})
        meshed = sorted(phase_state(scenario, index + 1).meshed)
        rules = [r.model_dump(mode="json", exclude_none=True) for r in phase.mtls]
        self.mtls = MtlsRulesEditor(rules, meshed or services, namespaces)
        self.mtls.changed.connect(self._on_mtls_changed)
        self.namespaces = NameListEditor(
            "Namespaces",
            "Every service of these namespaces joins the mesh in this phase",
            list(phase.namespaces),
            namespaces,
            "namespace",
        )
        self.namespaces.changed.connect(lambda names: self._set_names("namespaces", names))
        self.policies = self._policy_box(scenario, index, services)
        self.canary, self.authz = beyond_editors(scenario, index)
        self.canary.changed.connect(lambda shares: self._set_beyond("canary", shares))
        self.authz.changed.connect(lambda rules: self._set_beyond("authz", rules))
        self.waypoints = NameListEditor(
            "Waypoints",
            "istio-ambient: services that get an L7 waypoint proxy in this phase",
            list(phase.waypoints),
            services,
            "service",
        )
        self.waypoints.changed.connect(lambda names: self._set_names("waypoints", names))
        ambient = scenario.mesh.profile == "istio-ambient"
        if not ambient and not phase.waypoints:
            self.waypoints.setEnabled(False)
            self.waypoints.setTitle("Waypoints (istio-ambient only)")
            self.waypoints.setToolTip("Waypoints need mesh.profile istio-ambient")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        boxes = (self.mtls, self.canary, self.authz, self.policies, self.namespaces)
        for box in (*boxes, self.waypoints):
            layout.addWidget(box)
        self._active = ""
        """The editor of the last edit asked for: problems of the phase go under it."""
        self._errors = {
            "mtls": self.mtls.error,
            "canary": self.canary.error,
            "authz": self.authz.error,
            "policies": self.policy_error,
            "namespaces": self.namespaces.error,
            "waypoints": self.waypoints.error,
        }

    def _policy_box(self, scenario: Scenario, index: int, services: list[str]) -> QGroupBox:
        box = QGroupBox("Policies")
        box.setToolTip("Mesh policies that start to apply in this phase; click one to edit it")
        self.policy_list = QListWidget()
        self.policy_list.setMaximumHeight(70)
        hosts = [p.host for p in scenario.rollout.phases[index].policies]
        for host in hosts:
            QListWidgetItem(f"policy for {host}", self.policy_list)
        self.policy_list.itemClicked.connect(self._on_policy_list_item_clicked)
        self.policy_host = name_combo([s for s in services if s not in hosts])
        self.policy_host.setEditable(False)
        add = tool_button("Add policy…", "")
        add.setToolTip("Edit a new policy for this host (it is created once a value is changed)")
        add.clicked.connect(self._on_add_policy_clicked)
        self.policy_error = error_label()
        row = QHBoxLayout()
        row.addWidget(QLabel("for"))
        row.addWidget(self.policy_host, 1)
        row.addWidget(add)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.policy_list)
        layout.addLayout(row)
        layout.addWidget(self.policy_error)
        self.policy_list.setHidden(not hosts)
        return box

    # --- requests to the panel ----------------------------------------------------------

    def _on_mtls_changed(self, rules: list[dict]) -> None:
        index = self.selection.key[0]
        self._active = "mtls"
        self.edit_requested.emit(
            f"phase {self._name} mTLS → {_rules_in_words(rules)}",
            lambda data: edits.set_phase_mtls(data, index, rules),
            None,
        )

    def _set_beyond(self, key: str, value: dict | list) -> None:
        index = self.selection.key[0]
        self._active = key
        if key == "canary":
            words = ", ".join(f"{n} {v:.0%}" for n, v in value.items()) or "none"
            change = edits.set_phase_canary
        else:
            words = f"{len(value)} rule{'' if len(value) == 1 else 's'}"
            change = edits.set_phase_authz
        self.edit_requested.emit(
            f"phase {self._name} {key} → {words}",
            lambda data: change(data, index, value),
            None,
        )

    def _set_names(self, key: str, names: list[str]) -> None:
        index = self.selection.key[0]
        self._active = key
        self.edit_requested.emit(
            f"phase {self._name} {key} → {', '.join(names) or 'none'}",
            lambda data: edits.set_phase_names(data, index, key, names),
            None,
        )

    def _on_policy_list_item_clicked(self, item: QListWidgetItem) -> None:
        row = self.policy_list.row(item)
        self.select_requested.emit(Selection("phase_policy", (self.selection.key[0], row)))

    def _on_add_policy_clicked(self) -> None:
        host = self.policy_host.currentText()
        if host:
            key = (self.selection.key[0], host)
            self.select_requested.emit(Selection("phase_policy_draft", key))

    # --- problems -----------------------------------------------------------------------

    def show_problems(self, err: ScenarioError) -> list[str]:
        """Put each problem under its editor ("mtls[0].name: …"); return the others."""
        prefix = f"rollout.phases[{self.selection.key[0]}]."
        for label in self._errors.values():
            set_error(label, None)
        general: list[str] = []
        found: dict[str, list[str]] = {}
        for problem in err.problems:
            rest = problem.path[len(prefix) :] if problem.path.startswith(prefix) else ""
            key = rest.split(".")[0].split("[")[0]
            if rest and key not in self._errors:
                key = self._active  # a rule of the phase the edit broke (a service twice)
            if key in self._errors:
                found.setdefault(key, []).append(f"{rest}: {problem.message}")
            else:
                general.append(
                    f"{problem.path}: {problem.message}" if problem.path else problem.message
                )
        for key, lines in found.items():
            set_error(self._errors[key], "\n".join(lines))
        return general


def _rules_in_words(rules: list[dict]) -> str:
    if not rules:
        return "no change"
    return ", ".join(f"{r['mode']} {r.get('name') or 'mesh-wide'}" for r in rules)


class PhasePolicyButtons(Extras):
    """Back to the phase, or remove its policy (a draft: says it does not exist yet)."""

    def __init__(self, selection: Selection) -> None:
        super().__init__(selection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if selection.kind == "phase_policy_draft":
            note = QLabel(
                f"This phase has no policy for {selection.key[1]} yet. Change a value above "
                "to create one."
            )
            note.setWordWrap(True)
            note.setObjectName("policy_draft_note")
            note.setStyleSheet("color: #607d8b;")
            layout.addWidget(note)
            layout.addWidget(self._buttons(("◀ Phase", self.back)))
        else:
            layout.addWidget(
                self._buttons(("◀ Phase", self.back), ("Remove this policy", self.remove))
            )

    def back(self) -> None:
        self.select_requested.emit(Selection("phase", (self.selection.key[0],)))

    def remove(self) -> None:
        phase, policy = self.selection.key
        self.edit_requested.emit(
            "Remove phase policy",
            lambda data: edits.remove_phase_policy(data, phase, policy),
            Selection("phase", (phase,)),
        )
