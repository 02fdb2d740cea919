"""Fixtures of the GUI tests: a window with its settings in a temp dir, short scenarios."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings

from tests.ui.ui_testing import REPO, short_copy
from ui import dialogs
from ui.main_window import MainWindow

MODALS = (
    "ask_restore",
    "ask_long_run",
    "ask_save_changes",
    "open_file",
    "open_files",
    "save_file",
    "pick_directory",
    "choose",
    "ask_text",
    "show_error",
    "show_info",
    "show_traceback",
    "edit_plan_settings",
)


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def modal_calls(monkeypatch) -> list[tuple]:
    """Every dialog helper fails the test unless the test patches it again."""
    calls: list[tuple] = []

    def refuse(name):
        def helper(*args, **kwargs):
            calls.append((name, args))
            raise AssertionError(f"unexpected modal dialog: {name}{args[1:]}")

        return helper

    for name in MODALS:
        monkeypatch.setattr(dialogs, name, refuse(name))
    return calls


@pytest.fixture
def window(qtbot, settings, modal_calls):
    win = MainWindow(settings)
    win.runs.workers = 1  # two cores are shared: no process pool in tests
    win.show()
    yield win
    # Closed here rather than by qtbot: a test may leave unsaved edits behind.
    win.runs.shutdown()
    win.document.undo_stack.setClean()
    win.close()
    win.recovery.stop()
    win.deleteLater()


@pytest.fixture
def boutique(window, tmp_path) -> MainWindow:
    """The window with a short copy of the Online Boutique sample open."""
    assert window.files.open_path(short_copy(REPO / "samples" / "online-boutique.yaml", tmp_path))
    return window
