"""Small widgets the phase editors share: inline errors, narrow combos, tool buttons."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLabel, QToolButton

from ui.palette import ERROR_TEXT

HINT = "color: #607d8b; font-size: 11px;"


def error_label() -> QLabel:
    """The inline message under an editor (hidden while there is none)."""
    label = QLabel()
    label.setObjectName("field_error")
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {ERROR_TEXT}; font-size: 11px;")
    label.hide()
    return label


def set_error(label: QLabel, message: str | None) -> None:
    label.setText(message or "")
    label.setVisible(bool(message))


def small_combo(options: list[str] | tuple[str, ...], length: int = 4) -> QComboBox:
    """A combo that asks for the room of ``length`` characters, not of its longest item."""
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(length)
    combo.addItems(list(options))
    return combo


def name_combo(candidates: list[str], current: str | None = None) -> QComboBox:
    """An editable combo of ``candidates`` (a name typed in is checked by validation)."""
    combo = small_combo(candidates, 5)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.setCurrentText(current or "")
    combo.lineEdit().setCursorPosition(0)  # a narrow field shows the start of the name
    combo.setToolTip(current or "")
    return combo


def tool_button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    return button


def replaced(items: list, index: int, item: object | None) -> list:
    """A copy of ``items`` with ``item`` at ``index``, or without that entry for None.

    The list editors of a phase emit their whole new list for one undo step.
    """
    out = list(items)
    if item is None:
        out.pop(index)
    else:
        out[index] = item
    return out
