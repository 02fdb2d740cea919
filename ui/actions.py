"""The window's actions as data: what each does, its shortcut and when it is enabled.

``ACTIONS`` lists every command once; ``MENUS`` and ``TOOLBAR`` say where they go.
``ui.menus`` turns the table into QActions, menus and the toolbar, and re-evaluates
each action's ``enabled`` predicate over the session whenever the session changes.
A handler receives the window (anything with ``files``, ``runs``, ``graph``...), so
this module imports no widget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ui.session import Session

Handler = Callable[[Any], object]
Predicate = Callable[[Session], bool]


def always(_session: Session) -> bool:
    return True


def loaded(session: Session) -> bool:
    return session.loaded


def idle(session: Session) -> bool:
    """A scenario is open and no job runs."""
    return session.loaded and not session.busy


def busy(session: Session) -> bool:
    return session.busy


def has_results(session: Session) -> bool:
    return session.has_results


def has_comparison(session: Session) -> bool:
    return session.comparison is not None


def has_phases(session: Session) -> bool:
    return session.loaded and bool(session.scenario.rollout.phases)


@dataclass(frozen=True)
class ActionSpec:
    """One command of the window."""

    id: str
    text: str
    handler: Handler
    enabled: Predicate = always
    shortcut: str | None = None
    """A key sequence ("F5") or the name of a ``QKeySequence.StandardKey`` ("Open")."""
    icon: str | None = None
    """Name of a ``QStyle.StandardPixmap``."""
    tip: str = ""


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("new", "&New", lambda w: w.files.new(), always, "New", "SP_FileIcon",
               "Start a new scenario with one service"),
    ActionSpec("open", "&Open…", lambda w: w.files.open_dialog(), always, "Open",
               "SP_DialogOpenButton", "Open a scenario file"),
    ActionSpec("samples", "Samples…", lambda w: w.files.show_gallery(), always, None,
               "SP_DirHomeIcon", "Open a sample scenario"),
    ActionSpec("save", "&Save", lambda w: w.files.save(), loaded, "Save",
               "SP_DialogSaveButton", "Save the scenario"),
    ActionSpec("save_as", "Save &As…", lambda w: w.files.save_as(), loaded, "SaveAs"),
    ActionSpec("export_istio", "Istio YAML for a phase…", lambda w: w.files.export_istio(),
               has_phases),
    ActionSpec("export_report", "HTML report…", lambda w: w.files.export_report(),
               has_comparison),
    ActionSpec("export_png", "Charts as PNG…", lambda w: w.files.export_charts("png"),
               has_results),
    ActionSpec("export_svg", "Charts as SVG…", lambda w: w.files.export_charts("svg"),
               has_results),
    ActionSpec("export_json", "Results as JSON…", lambda w: w.files.export_results("json"),
               has_results),
    ActionSpec("export_csv", "Results as CSV…", lambda w: w.files.export_results("csv"),
               has_results),
    ActionSpec("quit", "&Quit", lambda w: w.close(), always, "Quit"),
    ActionSpec("add_service", "Add service…", lambda w: w.add_service(), idle),
    ActionSpec("settings", "Scenario settings", lambda w: w.inspector.select_scenario(), idle),
    ActionSpec("run", "&Run", lambda w: w.runs.start_run(), idle, "F5", "SP_MediaPlay",
               "Simulate the baseline and every phase of this plan"),
    ActionSpec("compare", "&Compare", lambda w: w.runs.start_compare(), idle, "F6",
               "SP_FileDialogDetailedView",
               "Simulate and rank this plan against generated rollout orderings"),
    ActionSpec("plan_settings", "Score &weights and constraints…",
               lambda w: w.plan_settings(), idle, None, None,
               "The rollout constraints and the points of each term of the plans' score"),
    ActionSpec("blast", "&Blast radius", lambda w: w.runs.start_blast(), idle, "F7",
               "SP_MessageBoxWarning",
               "Measure what an outage of each service costs in the phase on display"),
    ActionSpec("cancel", "Cancel", lambda w: w.runs.cancel(), busy, "Esc", "SP_BrowserStop",
               "Stop the running simulation"),
    ActionSpec("fit", "&Fit graph", lambda w: w.graph.fit(), loaded, "F", None,
               "Zoom to show the graph at a readable size (a large one: as an overview)"),
    ActionSpec("zoom_in", "Zoom &in", lambda w: w.graph.zoom(1.25), always, "ZoomIn"),
    ActionSpec("zoom_out", "Zoom &out", lambda w: w.graph.zoom(0.8), always, "ZoomOut"),
    ActionSpec("relayout", "Re-layout graph", lambda w: w.graph.relayout(), loaded),
    ActionSpec("reset_layout", "Reset window layout", lambda w: w.reset_layout()),
    ActionSpec("about", "About meshsim", lambda w: w.about()),
)  # fmt: skip
"""Every command; ``undo`` and ``redo`` come from the document's undo stack."""

SEPARATOR = "-"
MENUS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("&File", ("new", "open", "@recent", "samples", SEPARATOR, "save", "save_as", SEPARATOR,
               "@import", "@export", SEPARATOR, "quit")),
    ("&Edit", ("undo", "redo", SEPARATOR, "add_service", "settings")),
    ("&Simulation", ("run", "compare", "plan_settings", "blast", "cancel")),
    ("&View", ("fit", "zoom_in", "zoom_out", "relayout", SEPARATOR, "@docks", "reset_layout")),
    ("&Help", ("about",)),
)  # fmt: skip
"""Menus and their entries: an action id, a separator, or ``@name`` for a submenu or a
group the window fills itself (recent files, import formats, exports, dock toggles)."""
EXPORTS = ("export_istio", "export_report", "export_png", "export_svg", "export_json",
           "export_csv")  # fmt: skip
TOOLBAR = ("new", "open", "samples", "save", SEPARATOR, "undo", "redo", SEPARATOR, "run",
           "compare", "blast", "cancel", SEPARATOR, "fit")  # fmt: skip
