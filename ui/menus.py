"""The actions, menus and toolbar of the main window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QStyle

from ui.file_actions import import_formats
from ui.inspector_panel import SCENARIO

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def _action(window, text: str, slot, shortcut=None, icon=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
    action.setToolTip(tip or text)
    action.setStatusTip(tip or text)
    action.triggered.connect(slot)
    return action


def build_actions(window: MainWindow) -> None:
    """Create the window's actions (``window.run_action``...)."""
    key, pixmap = QKeySequence.StandardKey, QStyle.StandardPixmap
    files, runs = window.files, window.runs
    window.new_action = _action(
        window,
        "&New",
        files.new,
        key.New,
        pixmap.SP_FileIcon,
        "Start a new scenario with one service",
    )
    window.open_action = _action(
        window,
        "&Open…",
        files.open_dialog,
        key.Open,
        pixmap.SP_DialogOpenButton,
        "Open a scenario file",
    )
    window.gallery_action = _action(
        window,
        "Samples…",
        files.show_gallery,
        None,
        pixmap.SP_DirHomeIcon,
        "Open a sample scenario",
    )
    window.save_action = _action(
        window, "&Save", files.save, key.Save, pixmap.SP_DialogSaveButton, "Save the scenario"
    )
    window.save_as_action = _action(window, "Save &As…", files.save_as, key.SaveAs)
    window.undo_action = window.document.undo_stack.createUndoAction(window, "&Undo")
    window.undo_action.setShortcut(QKeySequence("Ctrl+Z"))
    window.undo_action.setIcon(window.style().standardIcon(pixmap.SP_ArrowBack))
    window.redo_action = window.document.undo_stack.createRedoAction(window, "&Redo")
    window.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    window.redo_action.setIcon(window.style().standardIcon(pixmap.SP_ArrowForward))
    window.run_action = _action(
        window,
        "&Run",
        runs.start_run,
        "F5",
        pixmap.SP_MediaPlay,
        "Simulate the baseline and every phase of this plan",
    )
    window.compare_action = _action(
        window,
        "&Compare",
        runs.start_compare,
        "F6",
        pixmap.SP_FileDialogDetailedView,
        "Simulate and rank this plan against generated rollout orderings",
    )
    window.blast_action = _action(
        window,
        "&Blast radius",
        runs.start_blast,
        "F7",
        pixmap.SP_MessageBoxWarning,
        "Measure what an outage of each service costs in the phase on display",
    )
    window.cancel_action = _action(
        window, "Cancel", runs.cancel, "Esc", pixmap.SP_BrowserStop, "Stop the running simulation"
    )
    window.fit_action = _action(
        window, "&Fit graph", window.graph.fit, "F", None, "Zoom to show the whole graph"
    )
    window.zoom_in_action = _action(window, "Zoom &in", lambda: window.graph.zoom(1.25), key.ZoomIn)
    window.zoom_out_action = _action(
        window, "Zoom &out", lambda: window.graph.zoom(0.8), key.ZoomOut
    )
    window.relayout_action = _action(window, "Re-layout graph", window.graph.relayout)
    window.add_service_action = _action(window, "Add service…", window.add_service)
    window.settings_action = _action(
        window, "Scenario settings", lambda: window.inspector.select(SCENARIO)
    )


def build_menus_and_toolbar(window: MainWindow) -> None:
    """The menu bar and the toolbar, from the window's actions."""
    menu = window.menuBar().addMenu("&File")
    for action in (window.new_action, window.open_action):
        menu.addAction(action)
    window.recent_menu = menu.addMenu("Open &recent")
    window.recent_menu.aboutToShow.connect(window.fill_recent_menu)
    menu.addAction(window.gallery_action)
    menu.addSeparator()
    menu.addAction(window.save_action)
    menu.addAction(window.save_as_action)
    menu.addSeparator()
    window.import_menu = menu.addMenu("&Import")
    for fmt in import_formats():
        action = window.import_menu.addAction(f"{fmt}…")
        action.triggered.connect(lambda _=False, f=fmt: window.files.import_dialog(f))
    export = menu.addMenu("&Export")
    for text, slot in (
        ("Istio YAML for a phase…", window.files.export_istio),
        ("HTML report…", window.files.export_report),
        ("Charts as PNG…", lambda: window.files.export_charts("png")),
        ("Charts as SVG…", lambda: window.files.export_charts("svg")),
        ("Results as JSON…", lambda: window.files.export_results("json")),
        ("Results as CSV…", lambda: window.files.export_results("csv")),
    ):
        export.addAction(text).triggered.connect(slot)
    menu.addSeparator()
    menu.addAction(_action(window, "&Quit", window.close, QKeySequence.StandardKey.Quit))
    edit = window.menuBar().addMenu("&Edit")
    for action in (window.undo_action, window.redo_action):
        edit.addAction(action)
    edit.addSeparator()
    edit.addAction(window.add_service_action)
    edit.addAction(window.settings_action)
    simulate = window.menuBar().addMenu("&Simulation")
    for action in (
        window.run_action,
        window.compare_action,
        window.blast_action,
        window.cancel_action,
    ):
        simulate.addAction(action)
    view = window.menuBar().addMenu("&View")
    for action in (
        window.fit_action,
        window.zoom_in_action,
        window.zoom_out_action,
        window.relayout_action,
    ):
        view.addAction(action)
    view.addSeparator()
    for dock in (window.inspector_dock, window.timeline_dock, window.results_dock):
        view.addAction(dock.toggleViewAction())
    view.addAction(_action(window, "Reset window layout", window.reset_layout))
    helpmenu = window.menuBar().addMenu("&Help")
    helpmenu.addAction(_action(window, "About meshsim", window.about))
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("main_toolbar")
    toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    for action in (
        window.new_action,
        window.open_action,
        window.gallery_action,
        window.save_action,
        None,
        window.undo_action,
        window.redo_action,
        None,
        window.run_action,
        window.compare_action,
        window.blast_action,
        window.cancel_action,
        None,
        window.fit_action,
    ):
        if action is None:
            toolbar.addSeparator()
        else:
            toolbar.addAction(action)
