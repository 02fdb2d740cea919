"""Banner: a message strip above the graph for errors, warnings and notes."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QWidget

_STYLES = {
    "error": ("#fdecea", "#b00020"),
    "warning": ("#fff4e5", "#8a4b00"),
    "info": ("#e8f1fb", "#0d3c61"),
}


class Banner(QFrame):
    """A dismissable message; ``level`` is error, warning or info."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Banner")
        self.level = ""
        self._plain = ""
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    @property
    def text(self) -> str:
        """The message as plain text: the title, then one line per detail."""
        return self._plain

    def show_message(self, level: str, title: str, lines: list[str] | None = None) -> None:
        """Show ``title`` in bold with up to 8 detail ``lines``."""
        self.level = level
        background, colour = _STYLES[level]
        self.setStyleSheet(
            f"QFrame#Banner {{ background: {background}; border: 1px solid {colour}; "
            f"border-radius: 4px; }} QLabel {{ color: {colour}; }}"
        )
        lines = lines or []
        self._plain = "\n".join([title, *lines])
        shown = [escape(line) for line in lines[:8]]
        if len(lines) > 8:
            shown.append(f"… and {len(lines) - 8} more")
        body = "<br>".join(shown)
        self.label.setText(f"<b>{escape(title)}</b>" + (f"<br>{body}" if body else ""))
        self.show()

    def clear(self) -> None:
        self.level = ""
        self._plain = ""
        self.label.clear()
        self.hide()
