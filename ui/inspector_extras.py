"""The inspector's extras: lists and buttons under the form of the selection.

One small widget per kind of selection: a service gets its calls (click one to edit
it; add one, delete the service, edit its mesh policy), a call a way back and out, a
policy a remove button, the scenario the lists of entrypoints and mesh policies.
They hold no document: they ask ``InspectorPanel`` to select something
(``select_requested``) or to apply an edit (``edit_requested(text, change, then)``,
``then`` being what to select once the edit is applied, or None).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from models import Call, Scenario, Service
from ui import edits


@dataclass(frozen=True)
class Selection:
    """What the inspector edits: a kind and what identifies it in the scenario."""

    kind: str
    key: tuple = ()


SCENARIO = Selection("scenario")


class Extras(QWidget):
    """Base of the extras: the two requests they make of the panel."""

    select_requested = Signal(object)
    edit_requested = Signal(str, object, object)

    def __init__(self, selection: Selection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.selection = selection

    def show_problems(self, err) -> list[str]:
        """Show the problems of a rejected edit next to what they concern; return the rest."""
        return [f"{p.path}: {p.message}" if p.path else p.message for p in err.problems]

    def _buttons(self, *specs) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        for text, slot in specs:
            button = QPushButton(text)
            button.clicked.connect(slot)
            layout.addWidget(button)
        return row


class ServiceCalls(Extras):
    """A service's calls in script order, and adding a call, a policy, deleting it."""

    def __init__(self, selection: Selection, scenario: Scenario) -> None:
        super().__init__(selection)
        self.setObjectName("ServiceCalls")
        self._scenario = scenario
        name = selection.key[0]
        box = QGroupBox("Calls, in script order")
        box.setToolTip("Click a call to edit it")
        layout = QVBoxLayout(box)
        layout.setContentsMargins(4, 4, 4, 4)
        self.calls_list = QListWidget()
        self.calls_list.setMaximumHeight(150)
        for item, sub, call in script_calls(scenario.service(name)):
            entry = QListWidgetItem(_describe_call(call, sub is not None), self.calls_list)
            entry.setData(Qt.ItemDataRole.UserRole, (item, sub))
        self.calls_list.itemClicked.connect(self._on_calls_list_item_clicked)
        layout.addWidget(self.calls_list)
        row = QHBoxLayout()
        self.call_target = QComboBox()
        self.call_target.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.call_target.setMinimumContentsLength(6)
        self.call_target.addItems([s.name for s in scenario.services if s.name != name])
        add = QPushButton("Add call")
        add.clicked.connect(self.add_call)
        row.addWidget(QLabel("to"))
        row.addWidget(self.call_target, 1)
        row.addWidget(add)
        layout.addLayout(row)
        layout.addWidget(
            self._buttons(
                ("Mesh policy…", self.policy_for_service),
                ("Delete service", self.delete_service),
            )
        )
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(box)

    def add_call(self) -> None:
        target = self.call_target.currentText()
        if target:
            name = self.selection.key[0]
            self.edit_requested.emit(
                f"Add call {name} → {target}",
                lambda data: edits.add_call(data, name, target),
                None,
            )

    def delete_service(self) -> None:
        name = self.selection.key[0]
        self.edit_requested.emit(
            f"Delete service {name}", lambda data: edits.remove_service(data, name), SCENARIO
        )

    def policy_for_service(self) -> None:
        name = self.selection.key[0]
        hosts = [p.host for p in self._scenario.mesh.policies]
        if name in hosts:
            self.select_requested.emit(Selection("policy", (hosts.index(name),)))
            return

        # A draft: the policy is added only once one of its values is changed.
        self.select_requested.emit(Selection("policy_draft", (name,)))

    def _on_calls_list_item_clicked(self, item: QListWidgetItem) -> None:
        index, sub = item.data(Qt.ItemDataRole.UserRole)
        self.select_requested.emit(Selection("call", (self.selection.key[0], index, sub)))


class CallButtons(Extras):
    """Back to the calling service, or remove the call."""

    def __init__(self, selection: Selection) -> None:
        super().__init__(selection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            self._buttons(("◀ Calling service", self.back), ("Remove call", self.remove))
        )

    def back(self) -> None:
        self.select_requested.emit(Selection("service", (self.selection.key[0],)))

    def remove(self) -> None:
        name, item, sub = self.selection.key
        self.edit_requested.emit(
            f"Remove a call of {name}",
            lambda data: edits.remove_call(data, name, item, sub),
            Selection("service", (name,)),
        )


class PolicyButtons(Extras):
    """Remove the mesh policy."""

    def __init__(self, selection: Selection) -> None:
        super().__init__(selection)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._buttons(("Remove this policy", self.remove)))

    def remove(self) -> None:
        index = self.selection.key[0]
        self.edit_requested.emit(
            "Remove mesh policy", lambda data: data["mesh"]["policies"].pop(index), SCENARIO
        )


class PolicyDraftNote(Extras):
    """Says that the policy on display does not exist until a value is changed."""

    def __init__(self, selection: Selection) -> None:
        super().__init__(selection)
        note = QLabel(
            f"{selection.key[0]} has no mesh policy of its own yet: it follows the mesh "
            "defaults. Change a value above to create one."
        )
        note.setWordWrap(True)
        note.setObjectName("policy_draft_note")
        note.setStyleSheet("color: #607d8b;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(note)
        layout.addWidget(self._buttons(("◀ Service", self.back)))

    def back(self) -> None:
        self.select_requested.emit(Selection("service", (self.selection.key[0],)))


class ScenarioLists(Extras):
    """The scenario's entrypoints and mesh policies: click one to edit it."""

    def __init__(self, selection: Selection, scenario: Scenario) -> None:
        super().__init__(selection)
        box = QGroupBox("Entrypoints and mesh policies")
        box.setToolTip("Click one to edit it")
        layout = QVBoxLayout(box)
        self.entry_list = QListWidget()
        self.entry_list.setMaximumHeight(90)
        for entry in scenario.entrypoints:
            QListWidgetItem(f"{entry.name} → {entry.service} ({entry.rate:g}/s)", self.entry_list)
        self.entry_list.itemClicked.connect(self._on_entry_list_item_clicked)
        self.policy_list = QListWidget()
        self.policy_list.setMaximumHeight(90)
        for policy in scenario.mesh.policies:
            QListWidgetItem(f"policy for {policy.host}", self.policy_list)
        self.policy_list.itemClicked.connect(self._on_policy_list_item_clicked)
        layout.addWidget(QLabel("Entrypoints"))
        layout.addWidget(self.entry_list)
        layout.addWidget(QLabel("Mesh policies (per host)"))
        layout.addWidget(self.policy_list)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(box)

    def _on_entry_list_item_clicked(self, item: QListWidgetItem) -> None:
        self.select_requested.emit(Selection("entrypoint", (self.entry_list.row(item),)))

    def _on_policy_list_item_clicked(self, item: QListWidgetItem) -> None:
        self.select_requested.emit(Selection("policy", (self.policy_list.row(item),)))


def extras_for(selection: Selection, scenario: Scenario) -> Extras | None:
    """The extras widget of ``selection`` (None: the selection has none)."""
    if selection.kind == "service":
        return ServiceCalls(selection, scenario)
    if selection.kind == "call":
        return CallButtons(selection)
    if selection.kind == "policy":
        return PolicyButtons(selection)
    if selection.kind == "policy_draft":
        return PolicyDraftNote(selection)
    if selection.kind == "scenario":
        return ScenarioLists(selection, scenario)
    return None


def script_calls(service: Service) -> list[tuple[int, int | None, Call]]:
    out: list[tuple[int, int | None, Call]] = []
    for index, item in enumerate(service.calls):
        if isinstance(item, Call):
            out.append((index, None, item))
        else:
            out.extend((index, sub, call) for sub, call in enumerate(item.parallel))
    return out


def _describe_call(call: Call, parallel: bool) -> str:
    text = ("∥ " if parallel else "→ ") + call.to
    if call.count != 1:
        text += f" ×{call.count}"
    if call.probability < 1:
        text += f" p={call.probability:g}"
    if call.optional:
        text += " (optional)"
    return text
