"""Start the app: ``python -m ui [SCENARIO] [--screenshot PNG] [--run] [--quit]``.

``--screenshot`` renders the main window to a PNG after loading and, with ``--run``,
after the default comparison has finished; ``--quit`` then exits (SPEC §12).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from models import Scenario
from ui.backend import ScenarioError, add_gui_arguments, load_with_sets
from ui.main_window import APPLICATION, ORGANISATION, MainWindow


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """The app's options: the very parser of ``meshsim gui`` (one definition)."""
    parser = argparse.ArgumentParser(prog="meshsim gui", description="meshsim desktop app")
    return add_gui_arguments(parser).parse_args(argv)


def application() -> QApplication:
    """The process's QApplication, created once."""
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    return app


class _Automation:
    """Drives --run/--screenshot/--quit once the window is up; remembers the exit code."""

    def __init__(self, window: MainWindow, screenshot: str | None, run: bool, quit_: bool):
        self.window, self.screenshot, self.run, self.quit = window, screenshot, run, quit_
        self.code = 0

    def start(self) -> None:
        window = self.window
        if self.run and window.document.scenario is not None:
            worker = window.runs.start_compare()
            if worker is not None:
                worker.finished.connect(lambda _r: QTimer.singleShot(0, self.finish))
                worker.errored.connect(lambda _e: self._failed())
                worker.cancelled.connect(self._failed)
                return
            self.code = 1
        self.finish()

    def _failed(self) -> None:
        self.code = 1
        QTimer.singleShot(0, self.finish)

    def finish(self) -> None:
        if self.screenshot:
            QApplication.processEvents()
            if not self.window.grab().save(self.screenshot):
                print(f"cannot write {self.screenshot}", file=sys.stderr)
                self.code = 1
        if self.quit:
            QApplication.exit(self.code)


def scenario_with_sets(path: str | None, sets: Sequence[str]) -> Scenario | None:
    """The scenario at ``path`` with ``--set`` changes made, or None without changes.

    Raises ScenarioError naming the ``--set`` when a change is not valid.
    """
    if not sets or not path:
        return None
    return load_with_sets(path, sets)


def apply_sets(window: MainWindow, changed: Scenario, sets: Sequence[str]) -> None:
    """Make the ``--set`` changes one unsaved edit of the opened document (Undo takes it back)."""
    window.document.apply(changed, "--set " + " ".join(sets))


def run_gui(
    scenario_path: str | None,
    screenshot: str | None,
    run: bool,
    quit: bool,  # noqa: A002 - the CLI flag's name
    size: tuple[int, int] | None = None,
    settings: QSettings | None = None,
    sets: Sequence[str] = (),
) -> int:
    """Open the window (with a scenario), optionally run, screenshot and quit.

    ``sets`` are ``--set PATH=VALUE`` changes (SPEC §15) made after opening, as one
    unsaved, undoable edit; a bad one exits 2 before any window opens.
    """
    if sets and not scenario_path:
        print("meshsim gui: --set needs a scenario file to change", file=sys.stderr)
        return 2
    try:
        changed = scenario_with_sets(scenario_path, sets)
    except ScenarioError as err:
        print(f"meshsim gui: {err}", file=sys.stderr)
        return 2
    app = application()
    automated = bool(screenshot or run or quit)
    window = MainWindow(settings)
    window.runs.ask_before_long_runs = not automated
    show(window, size or ((1400, 900) if automated else None))
    if scenario_path and not window.files.open_path(scenario_path):
        print(window.banner.text, file=sys.stderr)
        if quit:
            return 2
    elif changed is not None:
        apply_sets(window, changed, sets)
    if not automated:
        QTimer.singleShot(0, window.offer_recovery)
    automation = _Automation(window, screenshot, run, quit)
    QTimer.singleShot(0, automation.start)
    code = app.exec()
    return automation.code if quit else code


def _choose_platform(automated: bool) -> str | None:
    """Render offscreen when there is no screen and the run is automated.

    Returns a message when the app cannot start (no screen for an interactive run).
    """
    if os.environ.get("QT_QPA_PLATFORM") or QApplication.instance() is not None:
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    if automated:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return None
    return (
        "meshsim gui: no screen (DISPLAY is not set). Run it on a desktop, under "
        "xvfb-run, or with --screenshot PNG --quit to render offscreen."
    )


def show(window: MainWindow, size: tuple[int, int] | None) -> None:
    """Show the window; at ``size`` (pixels) with the default layout, if given.

    The layout is reset once the window is shown: restoring the default state on a
    hidden window over a saved one left Qt's dock tab bars ("Rollout phases",
    "Results | Problems | Run history") at the window's top-left corner.
    """
    if size is not None:
        window.resize(*size)
    window.show()
    if size is not None:
        window.reset_layout()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    problem = _choose_platform(bool(args.screenshot or args.quit))
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"--size must look like 1400x900, got {args.size!r}", file=sys.stderr)
        return 2
    return run_gui(
        args.scenario, args.screenshot, args.run, args.quit, size=(width, height), sets=args.sets
    )
