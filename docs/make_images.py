"""Make the close-up pictures of docs/gui.md: graph, charts and ranking after a comparison.

Usage: ``QT_QPA_PLATFORM=offscreen python docs/make_images.py``

Opens a copy of the Online Boutique sample with its simulation shortened (8 s, warm-up
1 s, one replication, as docs/gui.md says) in a 1400×900 window, runs the default
comparison, then grabs the graph view in phase 3 and the results panel (widened to
760 px) on its Charts and Ranking tabs. The main-window pictures are made with
``python -m ui ... --screenshot`` (docs/gui.md).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ui.app import application  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def short_copy(folder: Path) -> Path:
    """The sample with duration 8s, warm-up 1s, one replication (everything else kept)."""
    from meshsim.files.overrides import edited_text, parse_override

    path = ROOT / "samples" / "online-boutique.yaml"
    sets = ["simulation.duration=8s", "simulation.warmup=1s", "simulation.replications=1"]
    text = edited_text(path.read_text(), str(path), [parse_override(s) for s in sets])
    copy = folder / "online-boutique.yaml"
    copy.write_text(text)
    return copy


def wait(ms: int) -> None:
    """Let the window paint for ``ms`` milliseconds."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> int:
    """Make the three pictures; 2 if the sample cannot be opened."""
    application()
    with tempfile.TemporaryDirectory() as tmp:
        settings = QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.runs.ask_before_long_runs = False
        window.resize(1400, 900)
        window.reset_layout()
        window.show()
        if not window.files.open_path(short_copy(Path(tmp))):
            print(window.banner.text, file=sys.stderr)
            return 2
        worker = window.runs.start_compare()
        done = QEventLoop()
        worker.finished.connect(done.quit)
        worker.errored.connect(done.quit)
        done.exec()
        wait(300)
        window.session.set_phase(3, chosen=True)
        wait(300)
        window.graph.grab().save(str(IMAGES / "graph.png"))
        window.resizeDocks([window.results_dock], [760], Qt.Orientation.Horizontal)
        panel = window.results
        for widget, name in ((panel.charts, "results.png"), (panel.ranking_page, "ranking.png")):
            panel._show_tab(widget)
            wait(400)
            panel.grab().save(str(IMAGES / name))
        window.document.undo_stack.setClean()
        window.runs.shutdown()
        window.close()
    QApplication.processEvents()
    print(f"wrote graph.png, results.png and ranking.png in {IMAGES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
