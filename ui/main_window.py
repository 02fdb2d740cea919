"""MainWindow: the graph in the middle, the inspector, the phases and the results around it.

The window assembles the views and wires their clicks to the session
(``ui.session.Session``), which holds the state every view draws; its menus and
toolbar are built from the action table (``ui.actions``).
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QTabBar,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from meshsim import phase_names
from ui import dialogs, edits, wheel_guard
from ui.actions import EXPORTS
from ui.backend import ScenarioError, __version__
from ui.banner import Banner
from ui.document import ScenarioDocument, validate
from ui.file_actions import FileActions, import_formats
from ui.graph_legend import GraphLegend
from ui.graph_toolbar import GraphToolbar
from ui.graph_view import GraphView
from ui.inspector_panel import InspectorPanel
from ui.lesson_panel import LessonPanel
from ui.menus import ActionStates, build_actions, build_menus, build_toolbar
from ui.phase_timeline import PhaseTimeline
from ui.problems_list import ProblemsList, selection_for
from ui.recovery import Recovery, orphans, recovery_dir
from ui.replay_view import ReplayView
from ui.results_panel import ResultsPanel
from ui.run_actions import RunActions
from ui.run_history import RunHistoryView
from ui.session import Session
from ui.sweep_actions import SweepActions
from ui.sweep_panel import SweepPanel

ORGANISATION, APPLICATION = "meshsim", "meshsim"
STATE_VERSION = 3
"""Bumped when the default layout changes, so a saved layout of an older one is dropped."""
DEFAULT_SIZE = (1400, 900)


def default_settings() -> QSettings:
    return QSettings(ORGANISATION, APPLICATION)


class MainWindow(QMainWindow):
    """One scenario per window: edit it, run it, compare its plans."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        wheel_guard.install()
        self.setObjectName("MainWindow")
        self.settings = settings or default_settings()
        self.session = Session(self)
        self._build_central()
        self._build_docks()
        self._build_status_bar()
        self.files = FileActions(self.session, self.settings, self, self.results.charts)
        self.runs = RunActions(self.session, self)
        self.sweeps = SweepActions(self.session, self.sweep_panel)
        self.recovery = Recovery(self.session, recovery_dir(self.settings))
        self.commands = build_actions(self, self.session, self)
        self.menus = build_menus(self, self.commands, self._menu_groups())
        build_toolbar(self, self.commands)
        self.action_states = ActionStates(self.session, self.commands)
        self._connect()
        self.resize(*DEFAULT_SIZE)
        self._apply_default_sizes()
        self._default_state = self.saveState(STATE_VERSION)
        """The docks as first laid out: View › Reset layout restores it."""
        self._restore_state()
        self._on_document_path_changed("")

    @property
    def document(self) -> ScenarioDocument:
        return self.session.document

    def action(self, action_id: str) -> QAction:
        """The QAction of ``action_id`` (an id of ``ui.actions.ACTIONS``, or undo/redo)."""
        return self.commands[action_id]

    # --- construction -----------------------------------------------------------------

    def _build_central(self) -> None:
        self.banner = Banner()
        self.graph = GraphView()
        self.graph.follow(self.session)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        graph_page = QWidget()
        graph_layout = QVBoxLayout(graph_page)
        graph_layout.setContentsMargins(0, 0, 0, 0)
        graph_layout.setSpacing(4)
        self.legend = GraphLegend()
        self.graph_toolbar = GraphToolbar(self.graph, self.legend)
        graph_layout.addWidget(self.graph_toolbar)
        graph_layout.addWidget(self.graph, 1)
        graph_layout.addWidget(self.legend)
        self.replay = ReplayView()
        self.replay.follow(self.session)
        self.central_tabs = QTabWidget()
        self.central_tabs.setObjectName("central_tabs")
        self.central_tabs.setDocumentMode(True)
        self.central_tabs.addTab(graph_page, "Graph")
        self.central_tabs.addTab(self.replay, "Replay")
        self.central_tabs.setTabToolTip(1, "The last run replayed over simulated time")
        layout.addWidget(self.central_tabs, 1)
        self.setCentralWidget(central)

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        area = Qt.DockWidgetArea
        self.inspector = InspectorPanel(self.session)
        self.timeline = PhaseTimeline(self.session)
        self.results = ResultsPanel(self.session)
        self.inspector_dock = self._dock(
            "Inspector", "inspector_dock", self.inspector, area.LeftDockWidgetArea
        )
        self.results_dock = self._dock(
            "Results", "results_dock", self.results, area.RightDockWidgetArea
        )
        self.timeline_dock = self._dock(
            "Rollout phases", "timeline_dock", self.timeline, area.BottomDockWidgetArea
        )
        self.inspector_dock.setMinimumWidth(260)
        self.sweep_panel = SweepPanel()
        self.sweep_dock = self._dock(
            "Sweep", "sweep_dock", self.sweep_panel, area.BottomDockWidgetArea
        )
        self.tabifyDockWidget(self.timeline_dock, self.sweep_dock)
        self.sweep_dock.hide()  # until "Sweep this…" or View › Sweep: no tab bar
        self.lessons = LessonPanel()
        self.lesson_dock = self._dock(
            "Lesson", "lesson_dock", self.lessons, area.LeftDockWidgetArea
        )
        self.lesson_dock.hide()  # tabbed with the inspector when a scenario has lessons
        self.problems = ProblemsList()
        self.history = RunHistoryView()
        for widget in (self.problems, self.history):
            widget.setMinimumWidth(120)  # tabbed with the results: never widen that dock
        self.history.note.setWordWrap(True)
        self.problems_dock = self._dock(
            "Problems", "problems_dock", self.problems, area.RightDockWidgetArea
        )
        self.history_dock = self._dock(
            "Run history", "history_dock", self.history, area.RightDockWidgetArea
        )
        self.tabifyDockWidget(self.results_dock, self.problems_dock)
        self.tabifyDockWidget(self.problems_dock, self.history_dock)
        self.results_dock.raise_()
        self._recorded: object | None = None

    def _apply_default_sizes(self) -> None:
        """The default dock sizes: the graph in the middle gets the most room."""
        width = max(self.width(), 1200)
        self.resizeDocks(
            [self.inspector_dock, self.results_dock],
            [min(300, int(width * 0.215)), int(width * 0.3)],
            Qt.Orientation.Horizontal,
        )
        height = 170 if self.height() >= 850 else 150
        self.resizeDocks([self.timeline_dock], [height], Qt.Orientation.Vertical)

    def _build_status_bar(self) -> None:
        self.phase_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(220)
        self.progress.setFormat("%p%")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the run at its next checkpoint")
        bar = self.statusBar()
        bar.addPermanentWidget(self.phase_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self.progress.hide()
        self.cancel_button.hide()

    def _menu_groups(self) -> dict:
        """Fillers of the menus' ``@name`` entries (see ``ui.actions.MENUS``)."""

        def recent(menu: QMenu) -> None:
            self.recent_menu = menu.addMenu("Open &recent")
            self.recent_menu.aboutToShow.connect(self._on_recent_menu_about_to_show)

        def imports(menu: QMenu) -> None:
            self.import_menu = menu.addMenu("&Import")
            for fmt in import_formats():
                action = self.import_menu.addAction(f"{fmt}…")
                action.triggered.connect(lambda _=False, f=fmt: self.files.import_dialog(f))

        def exports(menu: QMenu) -> None:
            export = menu.addMenu("&Export")
            for action_id in EXPORTS:
                export.addAction(self.commands[action_id])

        def docks(menu: QMenu) -> None:
            for dock in (
                self.inspector_dock,
                self.timeline_dock,
                self.results_dock,
                self.sweep_dock,
                self.lesson_dock,
                self.problems_dock,
                self.history_dock,
            ):
                menu.addAction(dock.toggleViewAction())

        return {"recent": recent, "import": imports, "export": exports, "docks": docks}

    def _connect(self) -> None:
        session, document = self.session, self.session.document
        document.path_changed.connect(self._on_document_path_changed)
        document.dirty_changed.connect(self._on_document_dirty_changed)
        session.scenario_replaced.connect(self._on_session_scenario_replaced)
        session.display_changed.connect(self._on_session_display_changed)
        session.phase_changed.connect(self._on_session_phase_changed)
        session.busy_changed.connect(self._on_session_busy_changed)
        session.message.connect(self._on_session_message)
        session.status.connect(self._on_session_status)
        self.runs.progress.connect(self._on_runs_progress)
        self.runs.series.connect(self.replay.stream)
        self.runs.job_started.connect(lambda _title: self.replay.end_stream())
        self.cancel_button.clicked.connect(self.runs.cancel)
        self.graph.service_clicked.connect(session.select_service)
        self.graph.call_clicked.connect(self._on_graph_call_clicked)
        self.graph.entrypoint_clicked.connect(self.inspector.select_entrypoint)
        self.timeline.service_clicked.connect(session.select_service)
        self.timeline.phase_clicked.connect(self.inspector.select_phase)
        self.timeline.fault_clicked.connect(self.inspector.select_fault)
        self.inspector.sweep_requested.connect(self._on_inspector_sweep_requested)
        self.results.service_clicked.connect(session.select_service)
        self.results.ranking_page.settings_requested.connect(self.plan_settings)
        self.lessons.step_chosen.connect(self._on_lessons_step_chosen)
        session.display_changed.connect(self._on_session_display_changed_for_tools)
        session.results_changed.connect(self._on_session_results_changed_for_history)
        self.problems.field_chosen.connect(self.select_field)

    # --- commands ---------------------------------------------------------------------

    def select_service(self, name: str) -> None:
        """Highlight ``name`` in every view and inspect it."""
        self.session.select_service(name)

    def select_field(self, path: str) -> None:
        """Inspect the field at ``path`` (``services[2].calls[0].timeout``) and focus it."""
        scenario = self.document.scenario
        if scenario is None:
            return
        self.inspector_dock.show()
        self.inspector.select(selection_for(scenario, path))
        editor = self.inspector.editors.get(path)
        if editor is not None:
            self.inspector.scroll.ensureWidgetVisible(editor.widget)
            editor.widget.setFocus()

    def reset_layout(self) -> None:
        """Put every dock back where it first was, at the default sizes.

        The first layout is restored as a whole: rebuilding it dock by dock (remove,
        add, tabify) left Qt's tab bars of the intermediate groups on screen, across
        the inspector, and hid the Results/Problems/Run history tabs.
        """
        self.restoreState(self._default_state, STATE_VERSION)  # docked, none floating
        self.sweep_dock.hide()
        self._show_lessons(bool(self.lessons.lessons))
        self.results_dock.raise_()
        self._apply_default_sizes()
        QTimer.singleShot(0, self._hide_stray_tab_bars)

    def _hide_stray_tab_bars(self) -> None:
        """Hide dock tab bars Qt left over the menu and toolbar after a restored state.

        Restoring the default state over a saved one, before the window had been laid
        out (`meshsim gui --size` on a second launch), left bars of the saved layout's
        tab groups ("Rollout phases", "Results | Problems | Run history") visible at
        the window's top-left corner. Bars in use sit in the dock areas, below.
        """
        top = self.centralWidget().geometry().top()
        for bar in self.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if bar.isVisible() and bar.geometry().top() < top:
                bar.hide()

    def add_service(self) -> None:
        name = dialogs.ask_text(self, "Add service", "Name (DNS label):")
        if not name:
            return
        try:
            self.document.edit(f"Add service {name}", lambda data: edits.add_service(data, name))
        except ScenarioError as err:
            self.banner.show_message(
                "error", f"Cannot add {name!r}:", [f"{p.path}: {p.message}" for p in err.problems]
            )
            return
        self.select_service(name)

    def plan_settings(self) -> None:
        """Edit the score's weights and the rollout constraints (one undo step)."""
        if self.session.loaded and dialogs.edit_plan_settings(self, self.session):
            self.session.note("Score weights and constraints changed: Compare again to rank")

    def about(self) -> None:
        dialogs.show_info(
            self,
            "About meshsim",
            f"meshsim {__version__}\n\n"
            "meshsim simulates a service-mesh rollout phase by phase.\n\n"
            "Drag services between phases at the bottom, edit settings on the left, "
            "press Run or Compare, and read the results on the right.\n"
            "See docs/gui.md for the guide.",
        )

    def offer_recovery(self) -> bool:
        """Offer to restore the unsaved edits a crashed window left; True if restored."""
        found = orphans(self.recovery.directory)
        if not found:
            return False
        latest = found[0]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(latest.saved))
        restore = dialogs.ask_restore(self, latest.name, latest.path, when)
        if restore and self.files.confirm_discard():
            try:
                scenario = validate(latest.scenario)
            except ScenarioError as err:
                self.session.tell("error", "The recovered edits are not valid:", err.lines())
                return False
            self.session.replace(scenario, latest.path, dirty=True, text=latest.original)
            self.session.tell("info", f"Restored the unsaved edits of {latest.name}: save them.")
            self.recovery.write_now()
        else:
            restore = False
        for orphan in found:
            orphan.file.unlink(missing_ok=True)
        return restore

    # --- window state -----------------------------------------------------------------

    def _restore_state(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, STATE_VERSION)

    def _save_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(STATE_VERSION))
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.runs.shutdown()
        self.sweeps.shutdown()
        self.recovery.stop()
        self._save_state()
        event.accept()

    # --- slots ------------------------------------------------------------------------

    def _on_session_scenario_replaced(self) -> None:
        self.banner.clear()
        scenario = self.session.scenario
        lessons = scenario.lessons if scenario is not None else []
        self.lessons.set_lessons(lessons)
        self._show_lessons(bool(lessons))

    def _show_lessons(self, shown: bool) -> None:
        """Show the Lesson dock tabbed with the inspector, or hide it.

        It is tabbed only when shown: a dock tabbed and then hidden left Qt's two-tab
        bar drawn across the middle of the inspector.
        """
        if not shown:
            self.lesson_dock.hide()
            return
        if self.lesson_dock not in self.tabifiedDockWidgets(self.inspector_dock):
            self.tabifyDockWidget(self.inspector_dock, self.lesson_dock)
        self.lesson_dock.show()
        self.lesson_dock.raise_()

    def _on_session_display_changed(self, _scenario) -> None:
        self._update_phase_label()

    def _on_session_phase_changed(self, _index: int) -> None:
        self._update_phase_label()

    def _on_session_busy_changed(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setValue(0)
            self.banner.clear()

    def _on_session_message(self, level: str, text: str, lines: list[str]) -> None:
        self.banner.show_message(level, text, lines)

    def _on_session_status(self, text: str, timeout_ms: int) -> None:
        if text:
            self.statusBar().showMessage(text, timeout_ms)
        else:
            self.statusBar().clearMessage()

    def _on_runs_progress(self, fraction: float) -> None:
        self.progress.setValue(int(fraction * 1000))

    def _on_document_path_changed(self, path: str) -> None:
        name = Path(path).name if path else "untitled"
        if self.document.scenario is None:
            self.setWindowTitle("meshsim")
        else:
            self.setWindowTitle(f"{name}[*] — meshsim")

    def _on_document_dirty_changed(self, dirty: bool) -> None:
        self.setWindowModified(dirty)

    def _on_inspector_sweep_requested(self, path: str, value) -> None:
        self.sweeps.sweep_field(path, value)
        self.sweep_dock.show()
        self.sweep_dock.raise_()
        height = max(self.sweep_dock.height(), int(self.height() * 0.3))
        self.resizeDocks([self.sweep_dock], [height], Qt.Orientation.Vertical)

    def _on_lessons_step_chosen(self, lesson) -> None:
        """Move the replay (and the phase on display) to the step; mark its services."""
        scenario = self.session.display_scenario
        if scenario is None:
            return
        names = phase_names(scenario)
        index = self.session.phase
        if isinstance(lesson.phase, int):
            index = min(lesson.phase, len(names) - 1)
        elif lesson.phase in names:
            index = names.index(lesson.phase)
        self.session.set_phase(index, chosen=True)
        for name, node in self.graph.nodes.items():
            node.set_highlighted(name in lesson.highlight)
        if self.replay.has_series or self.session.has_results:
            self.central_tabs.setCurrentWidget(self.replay)
        self.replay.set_phase(index)
        if lesson.at is not None:
            self.replay.seek(lesson.at)
        self.replay.highlight(lesson.highlight)

    def _on_session_display_changed_for_tools(self, scenario) -> None:
        self.graph_toolbar.set_scenario(scenario)
        self.problems.show_scenario_later(self.document.scenario)

    def _on_session_results_changed_for_history(self) -> None:
        """Keep each finished run (a comparison: its best plan) in the run history."""
        session = self.session
        if session.run is not None and session.run is not self._recorded:
            self._recorded = session.run
            self.history.add(session.run, f"{time.strftime('%H:%M:%S')} run")
        elif session.comparison is not None and session.comparison is not self._recorded:
            self._recorded = comparison = session.comparison
            best = next((o for o in comparison.orderings if o.name == comparison.ranking[0]), None)
            if best is not None:
                self.history.add(best, f"{time.strftime('%H:%M:%S')} compare: best {best.name}")

    def _on_graph_call_clicked(self, caller: str, callee: str) -> None:
        self.inspector.select_call(caller, callee)

    def _on_recent_menu_about_to_show(self) -> None:
        self.recent_menu.clear()
        for path in self.files.recent():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.files.open_path(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _update_phase_label(self) -> None:
        scenario = self.session.display_scenario
        if scenario is None:
            self.phase_label.setText("")
            return
        names = phase_names(scenario)
        index = min(self.session.phase, len(names) - 1)
        plan = self.session.plan
        suffix = f" of plan {plan}" if plan and not self.session.shows_written_plan else ""
        self.phase_label.setText(f"Showing phase {index}: {names[index]}{suffix}")
