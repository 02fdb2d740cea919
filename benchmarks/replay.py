"""Replay smoothness: frames per second of the app's replay view, offscreen.

Usage::

    python benchmarks/replay.py [SCENARIO] [--services N] [--frames 150] [--size 1400x900]
    python benchmarks/replay.py samples/retry-storm.yaml --screenshot out.png --at 25 [--at 45]

The main window opens the scenario (or, with ``--services N``, a generated tree of N
services) and replays its last phase from synthetic series (``tests/ui/synthetic_series``,
SPEC §14's format) unless ``--results JSON`` gives a results document whose phases
carry series. Two figures: *play* (1× speed, 30 frames per simulated second, so most
frames only move the dots and the cursor) and *scrub* (every frame a new bucket:
every arrow and node restyled). A frame is a tick plus a synchronous repaint of the
graph and the charts. ``--screenshot`` writes the window at each ``--at`` time instead.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import yaml  # noqa: E402
from PySide6.QtCore import QEvent, QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from meshsim import load_scenario  # noqa: E402
from models import Scenario  # noqa: E402
from models.results import Results  # noqa: E402
from tests.ui.synthetic_series import synthetic_run, tree_scenario  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.replay_data import series_of  # noqa: E402


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def open_window(scenario: Scenario, results: Results, size: tuple[int, int], tmp: Path):
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings)
    window.resize(*size)
    window.reset_layout()
    window.show()
    path = tmp / f"{scenario.metadata.name}.yaml"
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True,
                                                       exclude_defaults=True)))  # fmt: skip
    assert window.files.open_path(path), window.banner.text
    window.session.set_run(results)
    window.session.set_phase(len(results.phases) - 1, chosen=True)
    window.central_tabs.setCurrentWidget(window.replay)
    QApplication.processEvents()
    return window


def frame(window: MainWindow) -> None:
    window.replay.tick()
    window.replay.graph.viewport().repaint()
    window.replay.charts.repaint()


def measure(window: MainWindow, frames: int, seconds_per_frame: float) -> float:
    replay = window.replay
    clock = FakeClock()
    replay.clock = clock
    replay.seek(0.0)
    replay.set_speed(1.0)
    replay.play()
    replay.timer.stop()  # frames are driven here, as fast as they paint
    start = time.perf_counter()
    for _ in range(frames):
        clock.now += seconds_per_frame
        if replay.time >= replay.end_s - seconds_per_frame:
            replay.seek(0.0)
        frame(window)
    return frames / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "samples/online-boutique.yaml"))
    parser.add_argument("--services", type=int, help="replay a generated graph of N services")
    parser.add_argument("--shape", choices=("tree", "star"), default="tree",
                        help="of the generated graph: tree (4 callees each) or star "
                        "(s0 calls all: every arrow crosses the view)")  # fmt: skip
    parser.add_argument("--results", help="a results document (JSON) to replay")
    parser.add_argument("--frames", type=int, default=150)
    parser.add_argument("--size", default="1400x900")
    parser.add_argument("--screenshot", help="write PNGs (NAME-<t>.png) instead of measuring")
    parser.add_argument("--at", type=float, action="append", help="time of a screenshot (s)")
    parser.add_argument("--phase", type=int, help="phase to replay (default: the last)")
    parser.add_argument("--lesson", type=int, help="with --screenshot: go to lesson step N")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    scenario = (
        tree_scenario(args.services, args.shape) if args.services else load_scenario(args.scenario)
    )
    results = synthetic_run(scenario)
    if args.results:
        measured = Results.model_validate_json(Path(args.results).read_text())
        if any(series_of(p) is None for p in measured.phases):
            measured = measured.model_copy(update={"phases": [
                p.model_copy(update={"series": series_of(s)})
                for p, s in zip(measured.phases, results.phases, strict=True)
            ]})  # fmt: skip
        results = measured
    width, height = (int(v) for v in args.size.split("x"))
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        window = open_window(scenario, results, (width, height), Path(tmp))
        if args.phase is not None:
            window.session.set_phase(args.phase, chosen=True)
        if args.screenshot:
            if args.lesson:
                window.lessons.go_to(args.lesson - 1)
            for at in args.at or [window.replay.time if args.lesson else window.replay.end_s / 2]:
                window.replay.seek(at)
                QApplication.processEvents()
                # Outside app.exec() widgets replaced by deleteLater() would still show.
                QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
                QApplication.processEvents()
                path = args.screenshot.replace(".png", f"-{at:g}.png")
                window.grab().save(path)
                print(path)
            return 0
        services = len(scenario.services)
        name = scenario.metadata.name
        play = measure(window, args.frames, 1 / 30)
        scrub = measure(window, args.frames, window.replay.series.bucket_s)
        print(f"{name}: {services} services, {width}x{height}")
        print(f"  play  (1x, mostly dots and cursor): {play:6.1f} frames/s")
        print(f"  scrub (a new bucket every frame):   {scrub:6.1f} frames/s")
        window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
