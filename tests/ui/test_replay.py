"""The replay view and the lesson panel (issue #13): what is drawn at time t comes from
the series, play follows the clock times the speed, lessons move the replay."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from PySide6.QtGui import QColor

from meshsim import load_scenario
from tests.ui.synthetic_series import synthetic_run
from tests.ui.ui_testing import REPO
from ui.replay_charts import ReplayCharts
from ui.replay_data import PhaseSeries, _load_windows, windows_of
from ui.replay_traffic import (
    AMBER,
    HEALTHY,
    MAX_WIDTH,
    MIN_WIDTH,
    RED,
    failure_colour,
    max_width,
    traffic_width,
)
from ui.replay_view import NO_RESULTS, NO_SERIES, ReplayView

STORM = REPO / "samples" / "retry-storm.yaml"


def storm_series() -> dict:
    """Four 1-s buckets of the retry-storm chain, numbers chosen by hand."""
    zeros = [0.0] * 4
    return {
        "bucketS": 1.0,
        "t": [0.0, 1.0, 2.0, 3.0],
        "entrypoints": {
            "shop": {
                "requests": [200, 200, 200, 200],
                "ok": [200, 150, 0, 200],
                "failed": [0, 50, 200, 0],
                "p50Ms": [3, 4, 900, 3],
                "p99Ms": [10, 20, 2500, 12],
            },
        },  # fmt: skip
        "services": {
            "web": {
                "attempts": [200, 200, 200, 200],
                "queued": [0, 4, 100, 0],
                "utilization": [0.1, 0.5, 1.0, 0.1],
                "ejected": zeros,
            },
            "inventory": {
                "attempts": [200, 200, 5400, 200],
                "queued": zeros,
                "utilization": [0.05, 0.05, 0.0, 0.05],
                "ejected": [0, 0, 2, 0],
            },
        },  # fmt: skip
        "edges": [
            {
                "from": "shop",
                "to": "web",
                "calls": [200, 200, 200, 200],
                "attempts": [200, 200, 200, 200],
                "failures": [0, 50, 200, 0],
            },
            {
                "from": "web",
                "to": "api",
                "calls": [200, 200, 200, 200],
                "attempts": [200, 200, 600, 200],
                "failures": [0, 50, 200, 0],
            },
            {
                "from": "orders",
                "to": "inventory",
                "calls": [200, 400, 1800, 200],
                "attempts": [200, 400, 5400, 200],
                "failures": [0, 0, 1800, 0],
            },
        ],  # fmt: skip
    }


@pytest.fixture
def storm():
    return load_scenario(STORM)


@pytest.fixture
def view(qtbot, storm):
    replay = ReplayView(clock=lambda: 0.0)
    qtbot.addWidget(replay)
    replay.resize(900, 650)
    replay.show()
    replay.set_data(storm, [("baseline", None), ("mesh-all", storm_series())], 1)
    return replay


def test_colours_run_from_blue_over_amber_to_red():
    assert failure_colour(0.0) == HEALTHY
    assert failure_colour(0.05) == AMBER
    assert failure_colour(0.5) == RED and failure_colour(1.0) == RED
    assert traffic_width(0.0, 100.0) == 0.0
    assert traffic_width(100.0, 100.0) == MAX_WIDTH
    assert traffic_width(50.0, 100.0) == pytest.approx(MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) / 2)


def test_series_are_read_at_the_bucket_of_t(storm):
    series = PhaseSeries.from_json(storm_series(), storm)
    assert [series.bucket(t) for t in (0.0, 0.99, 1.0, 3.5, 99.0, -1.0)] == [0, 0, 1, 3, 3, 0]
    assert series.end_s == 4.0
    assert series.edges[0].key == ("@shop", "web")  # the entry client, as the graph keys it
    assert series.edge_at(series.edges[1], 2) == (200.0, 1.0, 3.0)
    assert series.peak_rate == 1800.0
    assert series.tries_per_request("inventory", 2) == 27.0
    assert series.normal_tries("inventory") == 1.0
    rates, shares, tries = series.edges_at(1)
    assert rates.tolist() == [200.0, 200.0, 400.0]
    assert shares.tolist() == [0.25, 0.25, 0.0] and tries.tolist() == [1.0, 1.0, 1.0]


def test_a_bucket_without_requests_is_a_gap_in_latency_not_zero(storm):
    data = storm_series()
    data["entrypoints"]["shop"]["p99Ms"] = [10, None, 2500, 12]
    series = PhaseSeries.from_json(data, storm)
    assert np.isnan(series.entry_p99_ms("shop")[1])
    assert series.entry_p99_ms("shop")[2] == 2500


def test_load_changes_are_windows_too(storm):
    entry = {"name": "shop", "load": [{"at": 20.0, "rate": 600.0, "ramp": 5.0},
                                      {"at": 40.0, "rate": 200.0}]}  # fmt: skip
    spike = {"name": "shop", "load": {"shape": "spike", "peak": 600.0, "at": 10.0,
                                      "duration": 5.0}}  # fmt: skip
    points = [(w.start_s, w.end_s, w.label) for w in _load_windows(entry, 60.0)]
    assert points == [(20.0, 25.0, "shop → 600/s"), (40.0, 40.0, "shop → 200/s")]
    assert [(w.start_s, w.end_s) for w in _load_windows(spike, 60.0)] == [(10.0, 15.0)]


def test_fault_windows_and_warm_up_are_shaded(storm):
    windows = windows_of(storm, 60.0)
    assert [(w.kind, w.start_s, w.end_s) for w in windows] == [
        ("warmup", 0.0, 5.0),
        ("fault", 20.0, 40.0),
    ]
    assert windows[1].label == "inventory outage"


def _pixels_near(image, colour: QColor, tolerance: int = 12) -> int:
    """How many pixels of ``image`` are within ``tolerance`` of ``colour`` (RGB)."""
    image = image.convertToFormat(image.Format.Format_RGB32)
    data = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    rgb = data[:, : image.width(), 2::-1].astype(int)  # BGRA in memory
    target = np.array([colour.red(), colour.green(), colour.blue()])
    return int((np.abs(rgb - target).max(axis=2) <= tolerance).sum())


def test_scrubbing_to_t_shows_that_buckets_traffic(view):
    view.scrubber.setValue(15)  # 1.5 s: bucket 1
    assert view.time == 1.5
    widest = max_width(len(view.graph.edges))
    web_api = view.overlay.traffic(("web", "api"))
    assert (web_api.rate, web_api.share, web_api.tries) == (200.0, 0.25, 1.0)
    assert web_api.width == pytest.approx(traffic_width(200.0, 1800.0, widest))
    assert web_api.colour == failure_colour(0.25)
    assert view.overlay.traffic(("@shop", "web")).colour == failure_colour(0.25)
    healthy = view.overlay.traffic(("orders", "inventory"))
    assert (healthy.share, healthy.colour) == (0.0, HEALTHY)
    # No series for api -> orders: drawn as an idle line.
    assert view.overlay.traffic(("api", "orders")).width == 0.0
    view.seek(2.2)  # the storm bucket
    storm = view.overlay.traffic(("orders", "inventory"))
    assert storm.width == widest and storm.colour == RED and storm.tries == 3.0
    web = view.overlay.loads["web"]
    assert (web.utilization, web.queued, web.ejected) == (1.0, 100.0, 0.0)
    inventory = view.overlay.loads["inventory"]
    assert (inventory.ejected, inventory.amplification) == (2.0, 27.0)
    assert web.amplification == 0.0  # 1 try per request, as usual
    assert view.scrubber.value() == 22 and "2.2 s" in view.time_label.text()
    assert all(list(c.get_xdata()) == [2.2, 2.2] for c in view.charts.cursors)
    middle = view.overlay.layer.tracks[view.overlay.layer.keys.index(("orders", "inventory"))]
    assert view.overlay.layer.arrow_at(middle.points[20]) == ("orders", "inventory")
    assert view.arrow_tip(("orders", "inventory")) == (
        "orders → inventory at t = 2.2 s: 1,800 calls/s, 100% failed, 3.00 tries per call"
    )
    # What is painted: the red of the storm arrow is on screen, and gone a bucket later.
    assert _pixels_near(view.graph.grab().toImage(), RED) > 200
    view.seek(3.0)
    assert _pixels_near(view.graph.grab().toImage(), RED) < 20


def test_play_advances_by_the_clock_times_the_speed(qtbot, storm):
    now = [100.0]
    replay = ReplayView(clock=lambda: now[0])
    qtbot.addWidget(replay)
    replay.set_data(storm, [("mesh-all", storm_series())], 0)
    replay.set_speed(4.0)
    replay.play()
    assert replay.playing
    now[0] += 0.25
    replay.tick()
    assert replay.time == 1.0
    replay.set_speed(0.25)
    now[0] += 2.0
    replay.tick()
    assert replay.time == 1.5
    replay.set_speed(16.0)
    now[0] += 1.0
    replay.tick()  # would pass the end: stops there
    assert replay.time == 4.0 and not replay.playing
    replay.play()  # from the end: starts again
    assert replay.time == 0.0 and replay.playing
    replay.step(2)
    assert replay.time == 2.0 and not replay.playing
    replay.step(-5)
    assert replay.time == 0.0


def test_moving_the_cursor_never_redraws_the_charts(qtbot, storm, monkeypatch):
    charts = ReplayCharts()
    qtbot.addWidget(charts)
    charts.resize(600, 300)
    charts.show()
    charts.show_series(PhaseSeries.from_json(storm_series(), storm), windows_of(storm, 4.0))
    charts.draw()
    assert charts._background is not None
    draws = []
    monkeypatch.setattr(charts.figure, "draw", lambda *a: draws.append(a))
    for t in (0.5, 1.5, 3.9):
        charts.set_time(t)
    assert draws == []
    assert [list(c.get_xdata()) for c in charts.cursors] == [[3.9, 3.9]] * 3


def _with_lessons(tmp_path):
    data = yaml.safe_load(STORM.read_text())
    data["lessons"] = [
        {"title": "Calm", "text": "All is well.", "at": "10s", "phase": 0,
         "highlight": ["web"]},
        {"title": "The storm", "text": "**27** tries per request.", "at": "25s",
         "phase": "mesh-all", "highlight": ["inventory", "orders"]},
    ]  # fmt: skip
    path = tmp_path / "storm-lesson.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_lesson_next_moves_the_replay_and_highlights(window, tmp_path):
    assert not window.lesson_dock.isVisible()
    assert window.files.open_path(_with_lessons(tmp_path))
    assert window.lesson_dock.isVisible()
    window.session.set_run(synthetic_run(window.session.scenario))
    panel = window.lessons
    assert panel.steps.count() == 2 and panel.current == -1
    panel.next()
    replay = window.replay
    assert window.central_tabs.currentWidget() is replay
    assert (replay.phase, replay.time, window.session.phase) == (0, 10.0, 0)
    assert "All is well." in panel.text.toPlainText()
    panel.next_button.click()
    assert (replay.phase, replay.time, window.session.phase) == (1, 25.0, 1)
    lit = {name for name, node in replay.graph.nodes.items() if node.highlighted}
    assert lit == {"inventory", "orders"}
    assert {n for n, node in window.graph.nodes.items() if node.highlighted} == lit
    assert not panel.next_button.isEnabled() and panel.previous_button.isEnabled()
    panel.previous()
    assert replay.time == 10.0


def test_results_without_series_show_a_placeholder(window, tmp_path):
    window.central_tabs.setCurrentWidget(window.replay)
    replay = window.replay
    assert window.files.open_path(STORM)
    assert replay.stack.currentWidget() is replay.placeholder
    assert replay.placeholder.text() == NO_RESULTS
    plain = synthetic_run(window.session.scenario)
    plain = plain.model_copy(
        update={"phases": [p.model_copy(update={"series": None}) for p in plain.phases]}
    )
    window.session.set_run(plain)
    assert replay.stack.currentWidget() is replay.placeholder
    assert replay.placeholder.text() == NO_SERIES
    window.session.set_run(synthetic_run(window.session.scenario))
    assert replay.stack.currentWidget() is replay.content
    assert replay.series is not None and replay.phase == window.session.phase


STREAMED = """\
services:
  - {name: api, replicas: 2, serviceTime: {dist: exponential, mean: 2ms}, calls: [{to: db}]}
  - {name: db, replicas: 2, serviceTime: {dist: exponential, mean: 1ms}}
entrypoints:
  - {name: web, service: api, rate: 300/s}
rollout:
  phases:
    - {name: all, services: [api, db]}
simulation: {duration: 30s, warmup: 2s, replications: 1, seed: 3, series: 1s}
"""


def test_a_runs_series_stream_into_the_replay_before_it_ends(window, qtbot, tmp_path):
    """The job process streams each phase's buckets; the finished run replaces them."""
    path = tmp_path / "streamed.yaml"
    path.write_text(STREAMED)
    assert window.files.open_path(path)
    window.central_tabs.setCurrentWidget(window.replay)
    replay = window.replay
    streamed: list[tuple[int, int, bool, bool]] = []

    def on_series(phase: int, series: dict) -> None:
        # connected after the replay's own slot: the replay already shows what came in
        streamed.append((phase, len(series["t"]), window.session.has_results, replay.has_series))

    window.runs.series.connect(on_series)
    worker = window.runs.start_run()
    with qtbot.waitSignal(worker.finished, timeout=120_000):
        pass
    assert {phase for phase, *_ in streamed} == {0, 1}
    for _phase, buckets, done, shown in streamed:
        assert 0 < buckets <= 30 and not done and shown  # during the run, on the replay
    qtbot.waitUntil(lambda: window.session.has_results)
    assert len(replay.series.t) == 30  # the finished run's whole series
