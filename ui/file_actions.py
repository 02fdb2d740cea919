"""FileActions: new, open, save, recent files, samples, import and export of a window."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QStandardPaths
from PySide6.QtWidgets import QWidget

from ui import dialogs, exports
from ui.backend import (
    IMPORT_FORMATS,
    GraphImportError,
    MeshSimError,
    ScenarioError,
    export_istio,
    import_graph,
    load_scenario,
    write_report,
)
from ui.document import new_scenario, validate
from ui.gallery import SampleGallery
from ui.session import Session

if TYPE_CHECKING:
    from ui.charts import ChartsView

MAX_RECENT = 8


def import_formats() -> tuple[str, ...]:
    """Importer formats, ``auto`` first."""
    return ("auto",) + tuple(f for f in IMPORT_FORMATS if f != "auto")


def _documents() -> Path:
    """Where an untitled scenario is suggested to go: the user's documents folder."""
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(location or Path.home())


class FileActions(QObject):
    """The File menu's work, with the unsaved-changes prompt.

    It changes the window's state only through ``session``; ``parent`` is the widget its
    dialogs belong to and ``charts`` the figures the chart export writes.
    """

    def __init__(
        self, session: Session, settings: QSettings, parent: QWidget, charts: ChartsView
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._settings = settings
        self._parent = parent
        self._charts = charts
        self.gallery: SampleGallery | None = None

    @property
    def document(self):
        return self._session.document

    # --- unsaved changes --------------------------------------------------------------

    def confirm_discard(self) -> bool:
        """True when the current scenario may be replaced (saved, discarded or clean)."""
        if self.document.scenario is None or not self.document.is_dirty:
            return True
        name = self.document.scenario.metadata.name
        answer = dialogs.ask_save_changes(self._parent, name)
        if answer == dialogs.SAVE:
            return self.save()
        return answer == dialogs.DISCARD

    # --- new / open / save ------------------------------------------------------------

    def new(self) -> None:
        if self.confirm_discard():
            self._session.replace(new_scenario(), None)

    def open_dialog(self) -> None:
        if not self.confirm_discard():
            return
        start = str(self.document.path.parent) if self.document.path else ""
        path = dialogs.open_file(self._parent, "Open scenario", start)
        if path:
            self.open_path(path, confirm=False)

    def open_path(self, path: str | Path, *, confirm: bool = True) -> bool:
        """Load ``path``; a bad file is reported in the banner and nothing changes."""
        if confirm and not self.confirm_discard():
            return False
        try:
            scenario = load_scenario(path)
        except ScenarioError as err:
            self._session.tell("error", f"Cannot open {Path(path).name}:", err.lines())
            return False
        self._session.replace(scenario, path)
        self.add_recent(str(Path(path).resolve()))
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._write(self.document.path)

    def save_as(self) -> bool:
        scenario = self.document.scenario
        if scenario is None:
            return False
        suggested = str(self.document.path or _documents() / f"{scenario.metadata.name}.yaml")
        path = dialogs.save_file(self._parent, "Save scenario as", suggested)
        return bool(path) and self._write(Path(path))

    def _write(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except OSError as err:
            dialogs.show_error(self._parent, "Save failed", f"Cannot write {path}: {err}")
            return False
        self.add_recent(str(path.resolve()))
        self._session.note(f"Saved {path}", 4000)
        return True

    # --- recent files and samples -----------------------------------------------------

    def recent(self) -> list[str]:
        value = self._settings.value("recentFiles", [])
        if isinstance(value, str):
            value = [value]
        return [v for v in (value or []) if v]

    def add_recent(self, path: str) -> None:
        items = [path] + [p for p in self.recent() if p != path]
        self._settings.setValue("recentFiles", items[:MAX_RECENT])

    def show_gallery(self) -> SampleGallery:
        """The sample gallery (not modal): choosing a sample opens it."""
        self.gallery = SampleGallery(self._parent)
        self.gallery.sample_chosen.connect(self._on_gallery_sample_chosen)
        self.gallery.show()
        return self.gallery

    def open_sample(self, path: str | Path, *, confirm: bool = True) -> bool:
        """Open a shipped sample as an untitled copy: Save asks where to keep it.

        The sample itself is never written (Ctrl+S on an opened sample used to rewrite
        it, comments and all).
        """
        if confirm and not self.confirm_discard():
            return False
        try:
            scenario = load_scenario(path)
            text = Path(path).read_text(encoding="utf-8-sig")
        except ScenarioError as err:
            self._session.tell("error", f"Cannot open {Path(path).name}:", err.lines())
            return False
        except (OSError, UnicodeDecodeError):
            text = None  # the copy is then written in full
        # The copy keeps the sample's text, so saving it keeps the sample's comments.
        self._session.replace(scenario, None, text=text)
        self._session.note(
            f"Opened a copy of the sample {Path(path).name}: Save asks where to keep it", 8000
        )
        return True

    def _on_gallery_sample_chosen(self, path: str) -> None:
        self.open_sample(path)

    # --- import -----------------------------------------------------------------------

    def import_dialog(self, fmt: str) -> None:
        if not self.confirm_discard():
            return
        paths = dialogs.open_files(self._parent, f"Import {fmt} file(s)")
        if paths:
            self.import_files(fmt, paths, confirm=False)

    def import_files(self, fmt: str, paths: list[str], *, confirm: bool = True) -> bool:
        """Build a new, unsaved scenario from other tools' files."""
        if confirm and not self.confirm_discard():
            return False
        try:
            imported = import_graph(fmt, [Path(p) for p in paths])
            scenario = validate(imported.document)
        except (GraphImportError, ScenarioError) as err:
            lines = err.lines() if isinstance(err, ScenarioError) else [str(err)]
            self._session.tell("error", f"Import ({fmt}) failed:", lines)
            return False
        self._session.replace(scenario, None, dirty=True)
        names = ", ".join(Path(p).name for p in paths)
        level = "warning" if imported.warnings else "info"
        self._session.tell(
            level, f"Imported {names} ({fmt}): save it to keep it.", list(imported.warnings)
        )
        return True

    # --- export -----------------------------------------------------------------------

    def export_istio(self) -> None:
        session, parent = self._session, self._parent
        names = [p.name for p in session.scenario.rollout.phases]
        if not names:
            session.tell("info", "Istio export needs a rollout phase.")
            return
        current = session.phase if session.shows_written_plan else 0
        default = names[current - 1] if current else names[-1]
        phase = dialogs.choose(
            parent, "Export Istio YAML", "Phase:", [default] + [n for n in names if n != default]
        )
        directory = phase and dialogs.pick_directory(parent, "Write the Istio YAML into")
        if directory:
            self.write_istio(phase, Path(directory))

    def write_istio(self, phase: str, directory: Path) -> list[Path]:
        try:
            files = export_istio(self.document.scenario, phase)
        except MeshSimError as err:
            self._session.tell("error", f"Istio export failed: {err}")
            return []
        written = []
        for name, text in files.items():
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written.append(target)
        self._session.note(f"Wrote {len(written)} file(s) to {directory}", 6000)
        return written

    def export_report(self) -> None:
        session = self._session
        if session.comparison is None:
            session.tell("info", "The HTML report needs a comparison: press Compare.")
            return
        name = session.scenario.metadata.name
        path = dialogs.save_file(
            self._parent, "Save HTML report", f"{name}-report.html", "HTML (*.html)"
        )
        if path:
            write_report(session.comparison, session.scenario, Path(path))
            session.note(f"Wrote {path}")

    def export_results(self, fmt: str) -> None:
        session = self._session
        results = session.comparison or session.run
        if results is None:
            session.tell("info", "No results to export yet: press Run or Compare.")
            return
        name = session.scenario.metadata.name
        filters = "JSON (*.json)" if fmt == "json" else "CSV (*.csv)"
        path = dialogs.save_file(self._parent, "Save results", f"{name}-results.{fmt}", filters)
        if path:
            (exports.write_json if fmt == "json" else exports.write_csv)(results, path)
            session.note(f"Wrote {path}")

    def export_charts(self, fmt: str) -> None:
        if not self._charts.figures:
            self._session.tell("info", "No charts yet: press Run or Compare.")
            return
        directory = dialogs.pick_directory(self._parent, f"Save the charts as {fmt.upper()} into")
        if directory:
            written = self._charts.save(Path(directory), fmt)
            self._session.note(f"Wrote {len(written)} chart(s) to {directory}")
