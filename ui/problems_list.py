"""ProblemsList: the scenario's lint findings (SPEC §17); choosing one names its field.

Lint reads the scenario only (no simulation, milliseconds), so the list is refreshed on
the GUI thread whenever the scenario changes. A row shows the severity, the rule and
the message; its tooltip the fix. Clicking a row (or Enter) emits ``field_chosen`` with
the field's path (``mesh.defaults.retries.attempts``) for the inspector to select.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle, QWidget

from meshsim import format_path, lint
from models import Scenario

PATH_ROLE = Qt.ItemDataRole.UserRole
EMPTY_TEXT = "No problems found by lint"


class ProblemsList(QListWidget):
    """One row per lint finding of the current scenario."""

    field_chosen = Signal(str)
    """The field path of the chosen finding."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ProblemsList")
        self.setWordWrap(True)
        self.setAlternatingRowColors(True)
        self.itemClicked.connect(self._on_item_chosen)
        self.itemActivated.connect(self._on_item_chosen)
        self.show_scenario(None)

    def show_scenario(self, scenario: Scenario | None) -> None:
        """Lint ``scenario`` and list what it finds (nothing for ``None``)."""
        self.clear()
        findings = lint(scenario) if scenario is not None else []
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
