"""SampleGallery: the scenarios shipped in ``samples/``, with their descriptions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ui.backend import ScenarioError, load_scenario

SAMPLES_DIR = Path(__file__).resolve().parent.parent / "samples"


def sample_paths(directory: Path = SAMPLES_DIR) -> list[Path]:
    """The sample scenarios, by file name."""
    return sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.json"))


class SampleGallery(QDialog):
    """Pick a sample scenario to open; emits ``sample_chosen(path)``."""

    sample_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None, directory: Path = SAMPLES_DIR) -> None:
        super().__init__(parent)
        self.setObjectName("SampleGallery")
        self.setWindowTitle("Sample scenarios")
        self.resize(640, 420)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setSpacing(4)
        for path in sample_paths(directory):
            self._add(path)
        self.list.itemDoubleClicked.connect(self._on_list_item_double_clicked)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Open)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Scenarios shipped with meshsim ({directory}):"))
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _add(self, path: Path) -> None:
        try:
            scenario = load_scenario(path)
        except ScenarioError as err:
            text = f"{path.name}\n  cannot be read: {err.lines()[0]}"
        else:
            meta = scenario.metadata
            text = (
                f"{meta.name} — {len(scenario.services)} services, "
                f"{len(scenario.rollout.phases)} phases\n{meta.description}"
            )
        item = QListWidgetItem(text, self.list)
        item.setData(Qt.ItemDataRole.UserRole, str(path))
        item.setToolTip(str(path))

    def choose(self, row: int) -> None:
        """Open the sample at ``row`` and close the gallery."""
        item = self.list.item(row)
        if item is not None:
            self.sample_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
            self.accept()

    def _on_list_item_double_clicked(self, item: QListWidgetItem) -> None:
        self.choose(self.list.row(item))

    def _on_buttons_accepted(self) -> None:
        self.choose(self.list.currentRow())
