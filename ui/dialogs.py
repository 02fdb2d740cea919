"""Every modal dialog of the app, as small functions tests can replace.

Widgets never open a dialog themselves: they call these helpers, and the tests
monkeypatch them (``monkeypatch.setattr(dialogs, "ask_save_changes", ...)``) so no
test ever blocks on a modal.
"""

from __future__ import annotations

import traceback

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

SCENARIO_FILTER = "Scenarios (*.yaml *.yml *.json);;All files (*)"

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"


def ask_save_changes(parent: QWidget, name: str) -> str:
    """Ask what to do with unsaved changes: SAVE, DISCARD or CANCEL."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent,
        "Unsaved changes",
        f"The scenario {name!r} has unsaved changes. Save them first?",
        buttons.Save | buttons.Discard | buttons.Cancel,
        buttons.Save,
    )
    return {buttons.Save: SAVE, buttons.Discard: DISCARD}.get(answer, CANCEL)


def ask_restore(parent: QWidget, name: str, path: str | None, when: str) -> bool:
    """Offer to restore the unsaved edits of a window that ended without saving them."""
    buttons = QMessageBox.StandardButton
    where = f" ({path})" if path else " (never saved)"
    answer = QMessageBox.question(
        parent,
        "Restore unsaved edits?",
        f"meshsim ended without saving the edits of {name!r}{where}, last kept at {when}.\n\n"
        "Restore them? (Discard deletes them.)",
        buttons.Yes | buttons.Discard,
        buttons.Yes,
    )
    return answer == buttons.Yes


def ask_long_run(parent: QWidget, title: str, summary: str) -> bool:
    """Ask before a run estimated to take long; True to start it."""
    buttons = QMessageBox.StandardButton
    answer = QMessageBox.question(
        parent,
        f"{title} will take a while",
        f"{title} simulates {summary}.\n\nStart it? (Cancel stops it at any time.)",
        buttons.Yes | buttons.Cancel,
        buttons.Cancel,
    )
    return answer == buttons.Yes


def open_file(parent: QWidget, title: str, directory: str = "", filters: str = SCENARIO_FILTER):
    """A file to open, or None."""
    path, _ = QFileDialog.getOpenFileName(parent, title, directory, filters)
    return path or None


def open_files(parent: QWidget, title: str, directory: str = "", filters: str = "All files (*)"):
    """Files to open (possibly several), or an empty list."""
    paths, _ = QFileDialog.getOpenFileNames(parent, title, directory, filters)
    return paths


def save_file(parent: QWidget, title: str, suggested: str = "", filters: str = SCENARIO_FILTER):
    """A file to write, or None."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return path or None


def pick_directory(parent: QWidget, title: str, directory: str = ""):
    """A directory, or None."""
    return QFileDialog.getExistingDirectory(parent, title, directory) or None


def choose(parent: QWidget, title: str, label: str, options: list[str]):
    """One of ``options``, or None."""
    value, ok = QInputDialog.getItem(parent, title, label, options, 0, False)
    return value if ok else None


def ask_text(parent: QWidget, title: str, label: str, text: str = ""):
    """A line of text, or None."""
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value if ok and value.strip() else None


def show_error(parent: QWidget, title: str, message: str) -> None:
    QMessageBox.critical(parent, title, message)


def show_info(parent: QWidget, title: str, message: str) -> None:
    QMessageBox.information(parent, title, message)


def show_traceback(parent: QWidget, title: str, error: BaseException) -> None:
    """An unexpected error, with its traceback to copy into a bug report."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    dialog.resize(720, 420)
    details = getattr(error, "details", None)  # a traceback from the job's process
    text = QPlainTextEdit(details or "".join(traceback.format_exception(error)))
    text.setReadOnly(True)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    dialog.exec()


def edit_plan_settings(parent: QWidget, session) -> bool:
    """The score weights and constraints dialog; True when its changes were applied."""
    from ui.plan_settings import PlanSettingsDialog  # the dialog imports the session

    dialog = PlanSettingsDialog(session, parent)
    return dialog.exec() == QDialog.DialogCode.Accepted
