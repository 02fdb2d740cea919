"""Editors for the fields of a document, built from the pydantic model itself.

Each editor shows a field's wire value (``250ms``, ``{dist: lognormal, ...}``), the
field's description as its tooltip, and an inline error under it. What it emits is
wire data, so validation stays with the models. A distribution is summarised
(``lognormal p50 3ms, p99 20ms``) until the field gets the focus, where its wire
text is edited.
"""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFocusEvent, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QMenu,
    QVBoxLayout,
    QWidget,
)

from ui.palette import ERROR_TEXT

SUMMARY_MAX_W = 200
"""A summarised field asks for at most this width, so a narrow inspector still fits."""
UNSET = object()
"""Returned by an editor whose field was cleared: the key is removed (default applies)."""


def field_kind(annotation: Any) -> tuple[str, tuple]:
    """How to edit a field: choice, bool, optbool, group, names, text or yaml."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is bool:
        return "bool", ()
    if origin is Literal:
        return "choice", args
    if origin in (Union, types.UnionType):
        present = [a for a in args if a is not type(None)]
        if len(present) == 1:
            kind, extra = field_kind(present[0])
            return ("optbool", ()) if kind == "bool" else (kind, extra)
        return "yaml", ()
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "group", (annotation,)
    if origin is list and args == (str,):
        return "names", ()
    if annotation is str:
        return "text", ()
    return "yaml", ()


def wire_key(name: str, info: FieldInfo) -> str:
    return info.alias or name


def to_text(value: Any) -> str:
    """A wire value as one line of text (flow YAML for mappings and lists)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def summary_text(value: Any) -> str | None:
    """A distribution in a few words (``lognormal p50 3ms, p99 20ms``); None otherwise."""
    if not isinstance(value, dict) or not isinstance(value.get("dist"), str):
        return None
    kind = value["dist"]

    def get(key: str) -> str:
        return to_text(value.get(key))

    if kind == "lognormal":
        return f"lognormal p50 {get('median')}, p99 {get('p99')}"
    if kind in ("exponential", "gamma"):
        cv = f", cv {get('cv')}" if kind == "gamma" else ""
        return f"{kind}, mean {get('mean')}{cv}"
    if kind == "uniform":
        return f"uniform {get('low')} to {get('high')}"
    if kind == "empirical":
        count = len(value.get("samples") or [])
        return f"empirical, {count} sample{'' if count == 1 else 's'}"
    if kind == "constant":
        return get("value")
    return None


class ValueEdit(QLineEdit):
    """A line edit showing a summary of its value, and the value itself while focused."""

    def __init__(self) -> None:
        super().__init__()
        self.raw = ""
        self.summary: str | None = None

    def show_value(self, raw: str, summary: str | None) -> None:
        self.raw, self.summary = raw, summary
        self.setText(raw if summary is None or self.hasFocus() else summary)
        self.setCursorPosition(0)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        if self.summary is not None and self.text() == self.summary:
            self.setText(self.raw)
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        super().focusOutEvent(event)
        if self.summary is not None and self.text() == self.raw:
            self.setText(self.summary)
            self.setCursorPosition(0)


class FieldEditor(QWidget):
    """One field: a label, an editor and an inline error message.

    A number or duration field offers "Sweep this…" in its context menu
    (``sweep_requested``) once the form has told it the value to sweep around.
    """

    committed = Signal(object)
    sweep_requested = Signal()

    def __init__(self, label: str, info: FieldInfo, kind: str, extra: tuple) -> None:
        super().__init__()
        self.kind = kind
        self.label = QLabel(label)
        self.label.setToolTip(info.description or "")
        self.error = QLabel()
        self.error.setObjectName("field_error")
        self.error.setWordWrap(True)
        # colour and size without a style sheet: a widget with its own style sheet costs
        # a polish of the window's style on every insert (40 ms each on a 1,238-service
        # graph), and a form has dozens of these labels
        palette = self.error.palette()
        palette.setColor(QPalette.ColorRole.WindowText, QColor(ERROR_TEXT))
        self.error.setPalette(palette)
        font = self.error.font()
        font.setPixelSize(11)
        self.error.setFont(font)
        self.error.hide()
        self._description = info.description or ""
        self.widget = self._make_widget(kind, extra)
        self.widget.setToolTip(self._description)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addWidget(self.widget)
        layout.addWidget(self.error)

    def _make_widget(self, kind: str, extra: tuple) -> QWidget:
        if kind == "bool":
            box = QCheckBox()
            box.toggled.connect(lambda on: self.committed.emit(on))
            return box
        if kind in ("choice", "optbool"):
            combo = QComboBox()
            options = ["(not set)", "true", "false"] if kind == "optbool" else list(extra)
            combo.addItems([str(o) for o in options])
            combo.activated.connect(self._on_combo_activated)
            self._options = options
            return combo
        edit = ValueEdit()
        edit.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        edit.customContextMenuRequested.connect(self._on_edit_context_menu_requested)
        if kind == "names":
            edit.setPlaceholderText("names, separated by commas")
        edit.editingFinished.connect(self._on_line_editing_finished)
        self._last = ""
        return edit

    sweep_value: Any = None
    """The value "Sweep this…" sweeps around (None: the field cannot be swept)."""

    def set_sweep_value(self, value: Any) -> None:
        self.sweep_value = value
        hint = "\n\nRight-click: Sweep this…" if value is not None else ""
        self.widget.setToolTip(self.widget.toolTip().split("\n\nRight-click")[0] + hint)

    def context_menu(self) -> QMenu:
        """The line edit's menu, with "Sweep this…" for a number or duration."""
        menu = self.widget.createStandardContextMenu()
        if self.sweep_value is not None:
            menu.addSeparator()
            action = menu.addAction("Sweep this…")
            action.setObjectName("sweep_this")
            action.triggered.connect(lambda _=False: self.sweep_requested.emit())
        return menu

    def _on_edit_context_menu_requested(self, pos) -> None:
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.widget.mapToGlobal(pos))

    @property
    def inherits_placeholder(self) -> bool:
        """True for a text editor: an unset value shows what it inherits, greyed."""
        return isinstance(self.widget, ValueEdit) and self.kind != "names"

    def set_value(self, value: Any) -> None:
        """Show a wire value without committing it."""
        widget = self.widget
        widget.blockSignals(True)
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QComboBox):
            text = to_text(value) if self.kind == "optbool" else str(value)
            widget.setCurrentIndex(max(0, widget.findText(text or "(not set)")))
        else:
            # An empty list of names shows the placeholder, not "[]".
            names = self.kind == "names" and isinstance(value, list)
            text = ", ".join(value) if names else to_text(value)
            summary = summary_text(value)
            widget.show_value(text, summary)
            self._last = text
            if summary is not None:
                # Room for the summary: the form puts the field under its label if needed.
                room = widget.fontMetrics().horizontalAdvance(summary) + 12
                widget.setMinimumWidth(min(SUMMARY_MAX_W, room))
            long = summary is not None or widget.fontMetrics().horizontalAdvance(text) > 150
            value_tip = f"\n\nValue: {text}" if long else ""
            widget.setToolTip(self._description + value_tip)
        widget.blockSignals(False)

    def set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        if isinstance(self.widget, QLineEdit):
            self.widget.setStyleSheet(f"border: 1px solid {ERROR_TEXT};" if message else "")

    def text(self) -> str:
        widget = self.widget
        if isinstance(widget, ValueEdit):
            return widget.raw if widget.text() == widget.summary else widget.text()
        if isinstance(widget, QComboBox):
            return widget.currentText()
        return "true" if widget.isChecked() else "false"

    def _on_combo_activated(self, index: int) -> None:
        option = self._options[index]
        if self.kind == "optbool":
            self.committed.emit(UNSET if index == 0 else option == "true")
        else:
            self.committed.emit(option)

    def _on_line_editing_finished(self) -> None:
        text = self.text()
        if text == self._last:
            return
        self._last = text
        try:
            value = self.parse(text)
        except yaml.YAMLError as err:
            self.set_error(f"not a value: {getattr(err, 'problem', None) or err}")
            return
        self.committed.emit(value)

    def parse(self, text: str) -> Any:
        """The wire value of ``text`` (UNSET when empty)."""
        if not text.strip():
            return UNSET
        if self.kind == "text":
            return text
        if self.kind == "names":
            return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]
        return yaml.safe_load(text)
