"""LessonPanel: a trainer's walk through the scenario's lesson steps (issue #13).

It lists the steps (``models.lessons.Lesson``), shows the current one's markdown, and
says which step is current with ``step_chosen``; the window moves the replay to the
step's phase and time and highlights its services.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from models.lessons import Lesson

__all__ = ["LessonPanel", "where"]

MAX_LISTED = 10
"""Steps the list shows without scrolling; the text gets the rest of the height."""


def where(lesson: Lesson) -> str:
    """Where a step takes the replay, in words ("phase storm · t = 25 s")."""
    parts = []
    if lesson.phase is not None:
        parts.append(f"phase {lesson.phase}")
    if lesson.at is not None:
        parts.append(f"t = {lesson.at:g} s")
    return " · ".join(parts)


class LessonPanel(QWidget):
    """The lesson's steps, the current step's text, Previous and Next."""

    step_chosen = Signal(object)
    """The ``Lesson`` step that became current."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("LessonPanel")
        self.lessons: list[Lesson] = []
        self.steps = QListWidget()
        self.steps.setObjectName("lesson_steps")
        self.steps.currentRowChanged.connect(self._on_steps_current_row_changed)
        self.text = QTextBrowser()
        self.text.setObjectName("lesson_text")
        self.text.setOpenExternalLinks(True)
        self.position = QLabel()
        self.position.setStyleSheet("color: #607d8b;")
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.clicked.connect(self.previous)
        self.next_button = QPushButton("Next ▶")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next)
        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.position, 1, Qt.AlignmentFlag.AlignCenter)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.steps)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
        self.set_lessons([])

    @property
    def current(self) -> int:
        """Index of the current step (-1: none)."""
        return self.steps.currentRow()

    def set_lessons(self, lessons: Sequence[Lesson]) -> None:
        """Show ``lessons``; nothing is current until a step is picked or Next pressed."""
        self.lessons = list(lessons)
        self.steps.blockSignals(True)
        self.steps.clear()
        for number, lesson in enumerate(self.lessons, start=1):
            self.steps.addItem(f"{number}. {lesson.title}")
            self.steps.item(number - 1).setToolTip(where(lesson))
        self.steps.setCurrentRow(-1)
        self.steps.blockSignals(False)
        rows = max(3, min(len(self.lessons), MAX_LISTED))
        self.steps.setMaximumHeight(rows * self.steps.sizeHintForRow(0) + 8 if self.lessons else 60)
        self.text.setMarkdown(
            "Press **Next** to start the lesson: each step moves the replay to its moment "
            "and marks the services to watch."
            if self.lessons
            else "This scenario has no lesson steps."
        )
        self._update_buttons()

    def go_to(self, index: int) -> None:
        """Make step ``index`` current (and say so with ``step_chosen``)."""
        if 0 <= index < len(self.lessons):
            self.steps.setCurrentRow(index)

    def next(self) -> None:
        self.go_to(self.current + 1)

    def previous(self) -> None:
        self.go_to(self.current - 1)

    def _update_buttons(self) -> None:
        count, current = len(self.lessons), self.current
        self.previous_button.setEnabled(current > 0)
        self.next_button.setEnabled(current < count - 1)
        self.position.setText(f"step {current + 1} of {count}" if current >= 0 else "")

    def _on_steps_current_row_changed(self, row: int) -> None:
        self._update_buttons()
        if row < 0:
            return
        lesson = self.lessons[row]
        heading = f"### {lesson.title}\n\n"
        place = where(lesson)
        watch = ", ".join(f"**{name}**" for name in lesson.highlight)
        footer = "\n\n" + " · ".join(p for p in (place, f"watch {watch}" if watch else "") if p)
        self.text.setMarkdown(heading + lesson.text + (footer if footer.strip() else ""))
        self.step_chosen.emit(lesson)
