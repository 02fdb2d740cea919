"""The mouse wheel scrolls the view; it changes a value only in the editor being used.

Qt lets a combo box, spin box or slider under the pointer take a wheel turn even
without the focus, so scrolling the inspector silently edited the scenario (the mesh
profile became ``linkerd``). :func:`install` puts one filter on the application: a
wheel turn over such an editor without the keyboard focus goes to its parent instead
(the scroll area scrolls), and these editors no longer take the focus from the wheel.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QWidget,
)

GUARDED = (QComboBox, QAbstractSpinBox, QAbstractSlider)


class WheelGuard(QObject):
    """Application event filter: no wheel edits in editors without the focus."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.Polish and _guarded_editor_type(watched):
            # WheelFocus would hand the focus to the editor the wheel passes over.
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if kind != QEvent.Type.Wheel or not isinstance(watched, QWidget):
            return False
        editor = _guarded_editor(watched)
        if editor is None or editor.hasFocus():
            return False
        _send_up(editor.parentWidget(), event)
        event.accept()
        return True


def _send_up(widget: QWidget | None, event: QEvent) -> None:
    """Offer ``event`` to ``widget`` and its ancestors until one takes it.

    Qt propagates only spontaneous wheel events itself; this one is re-sent.
    """
    while widget is not None:
        event.ignore()
        QCoreApplication.sendEvent(widget, event)
        if event.isAccepted() or widget.isWindow():
            return
        widget = widget.parentWidget()


def _guarded_editor_type(widget: QObject) -> bool:
    return isinstance(widget, GUARDED) and not isinstance(widget, QScrollBar)


def _guarded_editor(widget: QWidget) -> QWidget | None:
    """The guarded editor ``widget`` belongs to (a spin box's line edit, say), if any."""
    while widget is not None:
        if isinstance(widget, QScrollBar):
            return None  # scroll bars are how the wheel scrolls
        if isinstance(widget, GUARDED):
            return widget
        if widget.isWindow():
            return None
        widget = widget.parentWidget()
    return None


_guard: WheelGuard | None = None


def install() -> None:
    """Install the guard on the running QApplication (once)."""
    global _guard
    app = QApplication.instance()
    if app is None or _guard is not None:
        return
    _guard = WheelGuard(app)
    app.installEventFilter(_guard)
