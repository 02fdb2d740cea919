"""The inspector's extras: lists and buttons under the form of the selection.

A service gets its calls (click one to edit it; add one, delete the service, edit
its mesh policy), a call a way back and out, a policy a remove button, the scenario
the lists of entrypoints and mesh policies. ``InspectorExtras`` is mixed into
``InspectorPanel``, whose document, selection and problem display it uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
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

from models import Call, Service
from ui import edits
from ui.backend import ScenarioError


@dataclass(frozen=True)
class Selection:
    """What the inspector edits: a kind and what identifies it in the scenario."""

    kind: str
    key: tuple = ()


SCENARIO = Selection("scenario")


class InspectorExtras:
    """Extras of ``InspectorPanel`` (a mixin: needs its ``_document`` and ``_selection``)."""

    def _add_extras(self, layout: QVBoxLayout) -> None:
        kind = self._selection.kind
        if kind == "service":
            layout.addWidget(self._service_extras())
        elif kind == "call":
            layout.addWidget(
                self._buttons(
                    (
                        "◀ Calling service",
                        lambda: self.select_service(self._selection.key[0]),
                    ),
                    ("Remove call", self._remove_call),
                )
            )
        elif kind == "policy":
            layout.addWidget(self._buttons(("Remove this policy", self._remove_policy)))
        elif kind == "scenario":
            layout.addWidget(self._scenario_lists())

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

    def _service_extras(self) -> QWidget:
        name = self._selection.key[0]
        scenario = self._document.scenario
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
        add.clicked.connect(self._add_call)
        row.addWidget(QLabel("to"))
        row.addWidget(self.call_target, 1)
        row.addWidget(add)
        layout.addLayout(row)
        layout.addWidget(
            self._buttons(
                ("Mesh policy…", self._policy_for_service),
                ("Delete service", self._delete_service),
            )
        )
        return box

    def _scenario_lists(self) -> QWidget:
        scenario = self._document.scenario
        box = QGroupBox("Entrypoints and mesh policies")
        box.setToolTip("Click one to edit it")
        layout = QVBoxLayout(box)
        self.entry_list = QListWidget()
        self.entry_list.setMaximumHeight(90)
        for entry in scenario.entrypoints:
            QListWidgetItem(f"{entry.name} → {entry.service} ({entry.rate:g}/s)", self.entry_list)
        self.entry_list.itemClicked.connect(
            lambda item: self.select(Selection("entrypoint", (self.entry_list.row(item),)))
        )
        self.policy_list = QListWidget()
        self.policy_list.setMaximumHeight(90)
        for policy in scenario.mesh.policies:
            QListWidgetItem(f"policy for {policy.host}", self.policy_list)
        self.policy_list.itemClicked.connect(
            lambda item: self.select(Selection("policy", (self.policy_list.row(item),)))
        )
        layout.addWidget(QLabel("Entrypoints"))
        layout.addWidget(self.entry_list)
        layout.addWidget(QLabel("Mesh policies (per host)"))
        layout.addWidget(self.policy_list)
        return box

    # --- editing ----------------------------------------------------------------------

    def _try(self, text: str, change) -> bool:
        try:
            self._document.edit(text, change)
        except ScenarioError as err:
            self._show_problems(err, ())
            return False
        return True

    def _add_call(self) -> None:
        target = self.call_target.currentText()
        if target:
            name = self._selection.key[0]
            self._try(
                f"Add call {name} → {target}", lambda data: edits.add_call(data, name, target)
            )

    def _remove_call(self) -> None:
        name, item, sub = self._selection.key
        if self._try(
            f"Remove a call of {name}", lambda data: edits.remove_call(data, name, item, sub)
        ):
            self.select_service(name)

    def _delete_service(self) -> None:
        name = self._selection.key[0]
        if self._try(f"Delete service {name}", lambda data: edits.remove_service(data, name)):
            self.select(SCENARIO)

    def _policy_for_service(self) -> None:
        name = self._selection.key[0]
        hosts = [p.host for p in self._document.scenario.mesh.policies]
        if name not in hosts:

            def change(data: dict) -> None:
                data.setdefault("mesh", {}).setdefault("policies", []).append({"host": name})

            if not self._try(f"Add mesh policy for {name}", change):
                return
            hosts.append(name)
        self.select(Selection("policy", (hosts.index(name),)))

    def _remove_policy(self) -> None:
        index = self._selection.key[0]
        if self._try("Remove mesh policy", lambda data: data["mesh"]["policies"].pop(index)):
            self.select(SCENARIO)

    def _on_calls_list_item_clicked(self, item: QListWidgetItem) -> None:
        index, sub = item.data(Qt.ItemDataRole.UserRole)
        self.select(Selection("call", (self._selection.key[0], index, sub)))


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
