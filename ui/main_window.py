"""MainWindow: the graph in the middle, the inspector, the phases and the results around it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from meshsim import phase_names
from ui import dialogs, edits
from ui.backend import ScenarioError
from ui.banner import Banner
from ui.document import ScenarioDocument
from ui.file_actions import FileActions
from ui.graph_view import GraphLegend, GraphView
from ui.inspector_panel import SCENARIO, InspectorPanel
from ui.menus import build_actions, build_menus_and_toolbar
from ui.phase_timeline import PhaseTimeline
from ui.results_panel import ResultsPanel
from ui.run_actions import RunActions

ORGANISATION, APPLICATION = "meshsim", "meshsim"
STATE_VERSION = 2
"""Bumped when the default layout changes, so a saved layout of an older one is dropped."""
DEFAULT_SIZE = (1400, 900)


def default_settings() -> QSettings:
    return QSettings(ORGANISATION, APPLICATION)


class MainWindow(QMainWindow):
    """One scenario per window: edit it, run it, compare its plans."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.settings = settings or default_settings()
        self.document = ScenarioDocument(self)
        self.files = FileActions(self)
        self.runs = RunActions(self)
        self._selecting = False
        self._build_central()
        self._build_docks()
        self._build_status_bar()
        build_actions(self)
        build_menus_and_toolbar(self)
        self._connect()
        self.resize(*DEFAULT_SIZE)
        self._apply_default_sizes()
        self._restore_state()
        self._on_document_path_changed("")
        self.update_actions()

    # --- construction -----------------------------------------------------------------

    def _build_central(self) -> None:
        self.banner = Banner()
        self.graph = GraphView()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.graph, 1)
        self.legend = GraphLegend()
        layout.addWidget(self.legend)
        self.setCentralWidget(central)

    def _dock(self, title: str, name: str, widget: QWidget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        area = Qt.DockWidgetArea
        self.inspector = InspectorPanel(self.document)
        self.timeline = PhaseTimeline(self.document)
        self.results = ResultsPanel()
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

    def _apply_default_sizes(self) -> None:
        """The default dock sizes: the graph in the middle gets the most room."""
        width = max(self.width(), 1200)
        self.resizeDocks(
            [self.inspector_dock, self.results_dock],
            [min(300, int(width * 0.215)), int(width * (0.3 if width >= 1400 else 0.28))],
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
        self.cancel_button.clicked.connect(self.runs.cancel)
        bar = self.statusBar()
        bar.addPermanentWidget(self.phase_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self.progress.hide()
        self.cancel_button.hide()

    def _connect(self) -> None:
        document = self.document
        document.scenario_changed.connect(self._on_document_scenario_changed)
        document.path_changed.connect(self._on_document_path_changed)
        document.dirty_changed.connect(self._on_document_dirty_changed)
        self.graph.service_clicked.connect(self.select_service)
        self.graph.call_clicked.connect(self._on_graph_call_clicked)
        self.graph.entrypoint_clicked.connect(self.inspector.select_entrypoint)
        self.timeline.service_clicked.connect(self.select_service)
        self.timeline.phase_displayed.connect(self._on_timeline_phase_displayed)
        self.timeline.phase_clicked.connect(self.inspector.select_phase)
        self.timeline.edit_failed.connect(self._on_timeline_edit_failed)
        self.results.service_clicked.connect(self.select_service)
        self.results.ordering_chosen.connect(self._on_results_ordering_chosen)

    # --- state ------------------------------------------------------------------------

    def update_actions(self) -> None:
        """Enable what makes sense: a scenario is loaded, a job is (not) running."""
        loaded = self.document.scenario is not None
        for action in (
            self.save_action,
            self.save_as_action,
            self.run_action,
            self.compare_action,
            self.blast_action,
            self.add_service_action,
            self.settings_action,
            self.fit_action,
        ):
            action.setEnabled(
                loaded
                and (
                    not self.runs.busy
                    or action in (self.save_action, self.save_as_action, self.fit_action)
                )
            )
        self.cancel_action.setEnabled(self.runs.busy)

    def scenario_replaced(self) -> None:
        """A different scenario was opened: forget results, show the whole graph."""
        self.banner.clear()
        self.results.clear()
        self.graph.set_results(None)
        self.timeline.set_displayed_phase(0)
        self.inspector.select(SCENARIO)
        self.graph.fit()
        self.update_actions()

    def set_running(self, running: bool, title: str) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        if running:
            self.progress.setValue(0)
            self.banner.clear()
            self.statusBar().showMessage(f"{title}…")
        self.update_actions()

    def select_service(self, name: str) -> None:
        """Highlight ``name`` in every view and inspect it."""
        if self._selecting:
            return
        self._selecting = True
        try:
            self.graph.highlight_service(name)
            self.timeline.highlight_service(name)
            self.results.highlight_service(name)
            self.inspector.select_service(name)
        finally:
            self._selecting = False

    def reset_layout(self) -> None:
        for dock, area in (
            (self.inspector_dock, Qt.DockWidgetArea.LeftDockWidgetArea),
            (self.results_dock, Qt.DockWidgetArea.RightDockWidgetArea),
            (self.timeline_dock, Qt.DockWidgetArea.BottomDockWidgetArea),
        ):
            dock.setFloating(False)
            self.addDockWidget(area, dock)
            dock.show()
        self._apply_default_sizes()

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

    # --- slots ------------------------------------------------------------------------

    def _on_document_scenario_changed(self, scenario) -> None:
        self.graph.set_scenario(scenario)
        self.results.mark_stale()
        self.results.show_scenario(scenario)
        self._update_phase_label()

    def _on_document_path_changed(self, path: str) -> None:
        name = Path(path).name if path else "untitled"
        if self.document.scenario is None:
            self.setWindowTitle("meshsim")
        else:
            self.setWindowTitle(f"{name}[*] — meshsim")

    def _on_document_dirty_changed(self, dirty: bool) -> None:
        self.setWindowModified(dirty)

    def _on_graph_call_clicked(self, caller: str, callee: str) -> None:
        self.inspector.select_call(caller, callee)

    def _on_timeline_phase_displayed(self, index: int) -> None:
        self.graph.set_phase(index)
        self.results.set_phase(index)
        self._update_phase_label()

    def _on_timeline_edit_failed(self, message: str) -> None:
        self.banner.show_message("error", "That change was not applied:", [message])

    def _on_results_ordering_chosen(self, _name: str) -> None:
        self.results.set_phase(self.timeline.displayed_phase)

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.files.recent():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.files.open_path(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("(none yet)").setEnabled(False)

    def _update_phase_label(self) -> None:
        scenario = self.document.scenario
        if scenario is None:
            self.phase_label.setText("")
            return
        names = phase_names(scenario)
        index = min(self.timeline.displayed_phase, len(names) - 1)
        self.phase_label.setText(f"Showing phase {index}: {names[index]}")

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

    def about(self) -> None:
        dialogs.show_info(
            self,
            "About meshsim",
            "meshsim simulates a service-mesh rollout phase by phase.\n\n"
            "Drag services between phases at the bottom, edit settings on the left, "
            "press Run or Compare, and read the results on the right.\n"
            "See docs/gui.md for the guide.",
        )

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.runs.shutdown()
        self._save_state()
        event.accept()
