"""The parts of a timeline column: its list of services (a drop target) and its labels."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListWidget


class ElidedLabel(QLabel):
    """A one-line label that elides its text to its width (the tooltip has it all)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.full_text = text
        self.setToolTip(text)
        self.setMinimumWidth(20)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        elided = self.fontMetrics().elidedText(
            self.full_text, Qt.TextElideMode.ElideRight, self.width()
        )
        if elided != self.text():
            self.setText(elided)


class PhaseList(QListWidget):
    """The services of one column; dropping services here moves them to its phase."""

    def __init__(self, phase: int | None, on_drop: Callable[[list[str], int | None], None]):
        super().__init__()
        self.phase = phase
        self._on_drop = on_drop
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)

    def mimeData(self, items):  # noqa: N802 - Qt override
        mime = super().mimeData(items)
        mime.setText("\n".join(item.text() for item in items))
        return mime

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasText():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.mimeData().hasText():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        names = [n for n in event.mimeData().text().splitlines() if n]
        # The item view that started the drag is still inside QDrag.exec(): rebuild
        # the columns only once it has returned.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        QTimer.singleShot(0, lambda: self._on_drop(names, self.phase))
