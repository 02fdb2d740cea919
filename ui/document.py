"""The editing state of a window: the current Scenario, its file and its undo history.

Scenarios are frozen pydantic documents, so every edit builds a new validated
document and the undo stack keeps whole-document snapshots: undo and redo just put
an older or newer snapshot back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from models import Scenario
from ui.backend import ScenarioError, parse_scenario

Wire = dict[str, Any]


def to_wire(scenario: Scenario) -> Wire:
    """The scenario as the plain data written to YAML (only what the user set)."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_unset=True)


def to_yaml(scenario: Scenario) -> str:
    """The scenario as YAML text, keys in document order."""
    return yaml.safe_dump(to_wire(scenario), sort_keys=False, allow_unicode=True)


def validate(data: Wire) -> Scenario:
    """Validate edited wire data; a failure is a ScenarioError with field paths."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as err:
        # The loader maps pydantic's errors onto readable field paths; only pay for
        # that (it re-reads the text) when something is wrong.
        try:
            parse_scenario(json.dumps(data), "<edit>")
        except ScenarioError as mapped:
            raise mapped from err
        raise


def new_scenario() -> Scenario:
    """The smallest valid scenario: one service and the traffic into it."""
    return Scenario.model_validate(
        {
            "apiVersion": "meshsim/v1",
            "kind": "Scenario",
            "metadata": {"name": "untitled"},
            "services": [{"name": "frontend"}],
            "entrypoints": [{"name": "web", "service": "frontend", "rate": "100/s"}],
        }
    )


class _Snapshot(QUndoCommand):
    def __init__(self, document: ScenarioDocument, old: Scenario, new: Scenario, text: str):
        super().__init__(text)
        self._document = document
        self._old = old
        self._new = new

    def redo(self) -> None:
        self._document._set(self._new)

    def undo(self) -> None:
        self._document._set(self._old)


class ScenarioDocument(QObject):
    """The scenario being edited, with undo/redo and a dirty flag."""

    scenario_changed = Signal(object)
    path_changed = Signal(str)
    dirty_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)
        self._scenario: Scenario | None = None
        self._path: Path | None = None

    @property
    def scenario(self) -> Scenario | None:
        return self._scenario

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def load(self, scenario: Scenario, path: str | Path | None, *, dirty: bool = False) -> None:
        """Start editing ``scenario`` (from ``path``; ``dirty``: never saved, e.g. imported)."""
        self.undo_stack.clear()
        if dirty:
            self.undo_stack.resetClean()
        self._path = Path(path) if path else None
        self._set(scenario)
        self.path_changed.emit(str(self._path or ""))
        self.dirty_changed.emit(dirty)

    def apply(self, scenario: Scenario, text: str) -> None:
        """Replace the scenario by an already validated one, as one undoable step."""
        if self._scenario is None:
            raise RuntimeError("no scenario is loaded")
        if scenario == self._scenario:
            return
        self.undo_stack.push(_Snapshot(self, self._scenario, scenario, text))

    def edit(self, text: str, change: Callable[[Wire], object]) -> Scenario:
        """Change a copy of the wire data, validate it and apply it (ScenarioError if bad)."""
        if self._scenario is None:
            raise RuntimeError("no scenario is loaded")
        data = to_wire(self._scenario)
        change(data)
        scenario = validate(data)
        self.apply(scenario, text)
        return scenario

    def save(self, path: str | Path) -> None:
        """Write the scenario as YAML and mark this state as saved."""
        if self._scenario is None:
            raise RuntimeError("no scenario is loaded")
        Path(path).write_text(to_yaml(self._scenario), encoding="utf-8")
        self._path = Path(path)
        self.undo_stack.setClean()
        self.path_changed.emit(str(self._path))

    def _set(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self.scenario_changed.emit(scenario)

    def _on_undo_stack_clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)
