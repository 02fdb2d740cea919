"""Menus and toolbar built from the action table (``ui.actions``).

``build_actions`` makes one QAction per ``ActionSpec`` (plus undo and redo from the
document's undo stack); ``build_menus`` and ``build_toolbar`` place them as
``MENUS`` and ``TOOLBAR`` say; ``ActionStates`` re-evaluates every ``enabled``
predicate whenever the session changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle, QToolBar
from shiboken6 import isValid

from ui.actions import ACTIONS, MENUS, SEPARATOR, TOOLBAR, ActionSpec
from ui.session import Session


def _key(shortcut: str) -> QKeySequence:
    standard = getattr(QKeySequence.StandardKey, shortcut, None)
    return QKeySequence(standard if standard is not None else shortcut)


def _icon(window: QMainWindow, name: str):
    return window.style().standardIcon(getattr(QStyle.StandardPixmap, name))


def _make(window: QMainWindow, spec: ActionSpec, host: Any) -> QAction:
    action = QAction(spec.text, window)
    action.setObjectName(f"action_{spec.id}")
    if spec.shortcut:
        action.setShortcut(_key(spec.shortcut))
    if spec.icon:
        action.setIcon(_icon(window, spec.icon))
    tip = spec.tip or spec.text.replace("&", "")
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.triggered.connect(lambda _checked=False, h=spec.handler: h(host))
    return action


def build_actions(window: QMainWindow, session: Session, host: Any) -> dict[str, QAction]:
    """One QAction per entry of ``ACTIONS``, keyed by id, handlers bound to ``host``."""
    actions = {spec.id: _make(window, spec, host) for spec in ACTIONS}
    stack = session.document.undo_stack
    undo = stack.createUndoAction(window)
    undo.setShortcut(QKeySequence("Ctrl+Z"))
    undo.setIcon(_icon(window, "SP_ArrowBack"))
    redo = stack.createRedoAction(window)
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    redo.setIcon(_icon(window, "SP_ArrowForward"))
    _InWords(undo, "Undo", stack.undoText, stack.undoTextChanged)
    _InWords(redo, "Redo", stack.redoText, stack.redoTextChanged)
    actions["undo"], actions["redo"] = undo, redo
    return actions


class _InWords(QObject):
    """Keeps an undo or redo action's text in words ("Undo: api retries → 3 attempts").

    A child of the action, so the connection ends with the action. The toolbar
    button stays short (the verb alone).
    """

    def __init__(self, action: QAction, verb: str, current, changed) -> None:
        super().__init__(action)
        self._action, self._verb = action, verb
        changed.connect(self.show)
        self.show(current())

    @Slot(str)
    def show(self, text: str) -> None:
        verb, action = self._verb, self._action
        if not isValid(action):
            return  # the window is being torn down; the stack empties last
        action.setText(f"{verb}: {text}" if text else verb)
        action.setIconText(verb)
        action.setToolTip(f"{verb}: {text}" if text else verb)


def build_menus(
    window: QMainWindow,
    actions: dict[str, QAction],
    groups: dict[str, Callable[[QMenu], None]],
) -> dict[str, QMenu]:
    """The menu bar; ``groups`` fills each ``@name`` entry into the menu given to it."""
    menus = {}
    for title, entries in MENUS:
        menu = window.menuBar().addMenu(title)
        menus[title.replace("&", "")] = menu
        for entry in entries:
            if entry == SEPARATOR:
                menu.addSeparator()
            elif entry.startswith("@"):
                groups[entry[1:]](menu)
            else:
                menu.addAction(actions[entry])
    return menus


def build_toolbar(window: QMainWindow, actions: dict[str, QAction]) -> QToolBar:
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("main_toolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for entry in TOOLBAR:
        if entry == SEPARATOR:
            toolbar.addSeparator()
        else:
            toolbar.addAction(actions[entry])
    return toolbar


class ActionStates(QObject):
    """Keeps each action's enabled state equal to its predicate over the session."""

    def __init__(self, session: Session, actions: dict[str, QAction]) -> None:
        super().__init__(session)
        self._session = session
        self._rules = [(actions[spec.id], spec.enabled) for spec in ACTIONS]
        for signal in (
            session.scenario_replaced,
            session.display_changed,
            session.results_changed,
            session.busy_changed,
        ):
            signal.connect(self._on_session_changed)
        self.update()

    def update(self) -> None:
        for action, enabled in self._rules:
            action.setEnabled(enabled(self._session))

    def _on_session_changed(self, *_args: object) -> None:
        self.update()
