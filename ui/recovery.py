"""Crash recovery: unsaved edits are kept in a recovery file every few seconds.

Each window's :class:`Recovery` writes the scenario being edited (its wire data, the
text it was read from and its path) to its own JSON file in ``recovery/`` next to the
app's settings, a few seconds after an edit, while the document has unsaved changes.
A save, a clean quit or discarding the changes removes the file. A file left behind
by a process that is gone (a crash, a kill) is an *orphan*: the next start offers to
restore it (``MainWindow.offer_recovery``).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSettings, QTimer

from ui.backend import to_wire
from ui.session import Session

INTERVAL_MS = 3000
"""How often unsaved edits are written (at most)."""
_LIVE: set[str] = set()
"""Tokens of the recoveries of this process that are still running."""


def recovery_dir(settings: QSettings) -> Path:
    """``recovery/`` in the folder of the settings file."""
    return Path(settings.fileName()).resolve().parent / "recovery"


@dataclass(frozen=True)
class Orphan:
    """A recovery file whose window is gone."""

    file: Path
    name: str
    path: str | None
    saved: float
    scenario: dict[str, Any]
    original: str | None


def orphans(directory: Path) -> list[Orphan]:
    """Recovery files left by windows that are gone, newest first."""
    found = []
    for file in directory.glob("*.json") if directory.is_dir() else []:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if _running(data.get("pid"), data.get("token")):
            continue
        found.append(
            Orphan(
                file,
                str(data.get("name") or "untitled"),
                data.get("path"),
                float(data.get("saved") or 0),
                data.get("scenario") or {},
                data.get("original"),
            )
        )
    return sorted(found, key=lambda o: o.saved, reverse=True)


def _running(pid: Any, token: Any) -> bool:
    if pid == os.getpid():
        return token in _LIVE
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Recovery(QObject):
    """Keeps the recovery file of one window's session."""

    def __init__(self, session: Session, directory: Path, interval_ms: int = INTERVAL_MS):
        super().__init__(session)
        self._session = session
        self.directory = directory
        self.token = uuid.uuid4().hex
        self.file = directory / f"{os.getpid()}-{self.token[:12]}.json"
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.write_now)
        _LIVE.add(self.token)
        document = session.document
        document.scenario_changed.connect(self._on_document_scenario_changed)
        document.dirty_changed.connect(self._on_document_dirty_changed)

    def write_now(self) -> bool:
        """Write the unsaved scenario now; True when a file was written."""
        self._timer.stop()
        document = self._session.document
        if document.scenario is None or not document.is_dirty:
            self.remove()
            return False
        data = {
            "pid": os.getpid(),
            "token": self.token,
            "name": document.scenario.metadata.name,
            "path": str(document.path) if document.path else None,
            "saved": time.time(),
            "scenario": to_wire(document.scenario),
            "original": document.original_text,
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = self.file.with_suffix(".partial")
            partial.write_text(json.dumps(data), encoding="utf-8")
            os.replace(partial, self.file)
        except OSError:
            return False  # recovery is best effort: never in the user's way
        return True

    def remove(self) -> None:
        """No unsaved edits (saved, discarded or a clean quit): drop the file."""
        self._timer.stop()
        try:
            self.file.unlink()
        except FileNotFoundError:
            pass
        except OSError:
            pass

    def stop(self) -> None:
        """The window closes cleanly."""
        self.remove()
        _LIVE.discard(self.token)

    def abandon(self) -> None:
        """Stop without removing the file, as a crash would (for tests)."""
        self._timer.stop()
        _LIVE.discard(self.token)

    def _on_document_scenario_changed(self, _scenario: object) -> None:
        # Whether the change leaves unsaved edits is known only once the undo stack has
        # taken it: the write decides.
        if not self._timer.isActive():
            self._timer.start()

    def _on_document_dirty_changed(self, dirty: bool) -> None:
        if not dirty:
            self.remove()
