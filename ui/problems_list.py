"""ProblemsList: the scenario's lint findings (SPEC §17); choosing one names its field.

Lint reads the scenario only (no simulation, milliseconds), so the list is refreshed on
the GUI thread whenever the scenario changes. A row shows the severity, the rule and
the message; its tooltip the fix. Clicking a row (or Enter) emits ``field_chosen`` with
the field's path (``mesh.defaults.retries.attempts``) for the inspector to select.
"""

from __future__ import annotations

import re
import threading

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle, QWidget

from meshsim import format_path, lint
from models import Scenario
from ui.inspector_extras import SCENARIO, Selection

PATH_ROLE = Qt.ItemDataRole.UserRole
LINT_DELAY_MS = 250
EMPTY_TEXT = "No problems found by lint"
BUSY_TEXT = "Linting…"


def parse_path(path: str) -> tuple:
    """``services[2].calls[0].to`` -> ``("services", 2, "calls", 0, "to")``."""
    return tuple(
        int(index) if index else name for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path)
    )


def selection_for(scenario: Scenario, path: str) -> Selection:
    """What the inspector selects to show the field at ``path``."""
    loc = parse_path(path)
    if loc[:1] == ("services",) and len(loc) > 1 and loc[1] < len(scenario.services):
        service = scenario.services[loc[1]]
        if len(loc) > 3 and loc[2] == "calls":
            if len(loc) > 5 and loc[4] == "parallel":
                return Selection("call", (service.name, loc[3], loc[5]))
            return Selection("call", (service.name, loc[3], None))
        return Selection("service", (service.name,))
    if loc[:1] == ("entrypoints",) and len(loc) > 1:
        return Selection("entrypoint", (loc[1],))
    if loc[:2] == ("mesh", "policies") and len(loc) > 2:
        return Selection("policy", (loc[2],))
    if loc[:2] == ("rollout", "phases") and len(loc) > 2:
        return Selection("phase", (loc[2],))
    return SCENARIO


class ProblemsList(QListWidget):
    """One row per lint finding of the current scenario."""

    field_chosen = Signal(str)
    """The field path of the chosen finding."""
    _linted = Signal(int, object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProblemsList")
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.itemClicked.connect(self._on_item_chosen)
        self.itemActivated.connect(self._on_item_chosen)
        self._linted.connect(self._on_linted)
        self._generation = 0
        self._pending: Scenario | None = None
        self._later: Scenario | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(LINT_DELAY_MS)
        self._timer.timeout.connect(self._start_lint)
        self.show_scenario(None)

    def show_scenario(self, scenario: Scenario | None) -> None:
        """Lint ``scenario`` and list what it finds (nothing for ``None``)."""
        self._generation += 1
        self._show(scenario, lint(scenario) if scenario is not None else [])

    def show_scenario_later(self, scenario: Scenario | None) -> None:
        """Lint ``scenario`` on a thread and list the findings when done (the latest wins).

        Lint takes milliseconds on small scenarios and a few hundred on 2,000-service
        ones; the app calls this on every change so editing never waits for it. The
        thread starts once changes pause for ``LINT_DELAY_MS``: a burst of edits is
        linted once, and opening a large file paints before lint competes for the
        interpreter.
        """
        self._generation += 1
        self._pending = self._later = None
        if scenario is None:
            self._show(None, [])
            return None
        if not self.isVisible():
            # linted when first shown: seconds of lint on a 1,000-service graph would
            # slow everything else while the list is not even looked at
            self._pending = scenario
            self.clear()
            self.addItem(BUSY_TEXT)
            return None
        self.clear()
        self.addItem(BUSY_TEXT)
        self._later = scenario
        self._timer.start()
        return None

    def _start_lint(self) -> None:
        """Lint the latest scenario handed to ``show_scenario_later`` on a thread."""
        scenario, self._later = self._later, None
        if scenario is None:
            return
        generation = self._generation

        def work() -> None:
            try:
                findings = lint(scenario)
            except Exception as err:  # noqa: BLE001 - shown in the list, never lost
                findings = err
            try:
                self._linted.emit(generation, scenario, findings)
            except RuntimeError:
                pass  # the list was closed (the app quit) while lint ran: nobody to tell

        threading.Thread(target=work, name="lint", daemon=True).start()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._pending is not None:
            self.show_scenario_later(self._pending)

    def _on_linted(self, generation: int, scenario: Scenario, findings) -> None:
        if generation != self._generation:
            return  # the scenario changed meanwhile
        if isinstance(findings, Exception):
            self.clear()
            self.addItem(f"lint failed: {findings}")
            return
        self._show(scenario, findings)

    def _show(self, scenario: Scenario | None, findings: list) -> None:
        self.clear()
        style = self.style()
        icons = {
            "error": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
            "warning": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning),
        }
        order = sorted(findings, key=lambda f: f.severity != "error")  # stable: rule order
        for finding in order:
            item = QListWidgetItem(icons[finding.severity], f"{finding.code}: {finding.message}")
            path = format_path(finding.loc)
            item.setData(PATH_ROLE, path)
            item.setToolTip(f"{path}\nfix: {finding.fix}")
            self.addItem(item)
        if not findings and scenario is not None:
            empty = QListWidgetItem(EMPTY_TEXT)
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.addItem(empty)

    def paths(self) -> list[str]:
        """The field paths of the listed findings, in row order."""
        return [
            self.item(i).data(PATH_ROLE)
            for i in range(self.count())
            if self.item(i).data(PATH_ROLE)
        ]

    def _on_item_chosen(self, item: QListWidgetItem) -> None:
        path = item.data(PATH_ROLE)
        if path:
            self.field_chosen.emit(path)
