"""The editing state of a window: the current Scenario, its file and its undo history.

Scenarios are frozen pydantic documents, so every edit builds a new validated
document and the undo stack keeps whole-document snapshots: undo and redo just put
an older or newer snapshot back.

The text the scenario was read from is kept: saving writes it back with only the
edited fields' lines changed (comments and layout stay), through meshsim's one
scenario writer; saving an unchanged document does not touch the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from models import Scenario
from ui.backend import ScenarioError, parse_scenario, save_scenario, to_wire

Wire = dict[str, Any]


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
        self._original: str | None = None

    @property
    def scenario(self) -> Scenario | None:
        return self._scenario

    @property
    def path(self) -> Path | None:
        return self._path

    @property
    def original_text(self) -> str | None:
        """The text the scenario was read from (or last saved as), if known."""
        return self._original

    @property
    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean()

    def load(
        self,
        scenario: Scenario,
        path: str | Path | None,
        *,
        dirty: bool = False,
        text: str | None = None,
    ) -> None:
        """Start editing ``scenario`` (from ``path``; ``dirty``: never saved, e.g. imported).

        ``text`` is what the file says (read from ``path`` when not given): saving
        changes only the lines of what was edited since.
        """
        self.undo_stack.clear()
        if dirty:
            self.undo_stack.resetClean()
        self._path = Path(path) if path else None
        self._original = text
        if text is None and self._path is not None and not dirty:
            try:
                self._original = self._path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                self._original = None  # then the scenario is written in full
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

    def save(self, path: str | Path) -> bool:
        """Write the scenario as YAML and mark this state as saved.

        Only the lines of edited fields change; when the file already says exactly
        this it is not written at all (returns False). The write is atomic.
        """
        if self._scenario is None:
            raise RuntimeError("no scenario is loaded")
        saved = save_scenario(path, self._scenario, self._original)
        self._original = saved.text
        self._path = Path(path)
        self.undo_stack.setClean()
        self.path_changed.emit(str(self._path))
        return saved.written

    def _set(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self.scenario_changed.emit(scenario)

    def _on_undo_stack_clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean)
