from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.ui.ui_testing import DATA, REPO, SAMPLES
from ui import dialogs
from ui.backend import load_scenario
from ui.main_window import MainWindow


def test_samples_are_shipped():
    names = {p.name for p in SAMPLES}
    assert {"online-boutique.yaml", "bookinfo.yaml", "retry-storm.yaml"} <= names


def test_save_as_and_reopen_round_trips(window, tmp_path, monkeypatch):
    sample = REPO / "samples" / "online-boutique.yaml"
    assert window.files.open_path(sample)
    target = tmp_path / "copy.yaml"
    monkeypatch.setattr(dialogs, "save_file", lambda *a, **k: str(target))
    assert window.files.save_as()
    first = target.read_text()
    assert first == sample.read_text()  # unchanged: the very text, comments and all
    assert window.files.open_path(target)
    assert window.document.scenario == load_scenario(sample)
    assert window.files.save()
    assert target.read_text() == first
    assert not window.isWindowModified()


def test_bad_file_is_reported_in_the_banner(window, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "services: [{name: a, replicas: 0}]\nentrypoints: [{name: w, service: a, rate: 5/s}]\n"
    )
    assert not window.files.open_path(bad)
    assert window.banner.isVisible() and window.banner.level == "error"
    assert "services[0].replicas" in window.banner.text
    assert "at least 1" in window.banner.text
    assert window.document.scenario is None


def test_unsaved_changes_prompt_on_open_and_close(boutique, monkeypatch, tmp_path):
    window = boutique
    window.timeline.move_service("frontend", None)
    assert window.isWindowModified()
    asked = []

    def answer(value):
        def ask(parent, name):
            asked.append(name)
            return value

        return ask

    monkeypatch.setattr(dialogs, "ask_save_changes", answer(dialogs.CANCEL))
    assert not window.files.open_path(REPO / "samples" / "bookinfo.yaml")
    assert window.document.scenario.metadata.name == "online-boutique"
    assert not window.close()
    assert window.isVisible()
    monkeypatch.setattr(dialogs, "ask_save_changes", answer(dialogs.SAVE))
    assert window.files.open_path(REPO / "samples" / "bookinfo.yaml")
    saved = load_scenario(tmp_path / "online-boutique.yaml")
    assert "frontend" not in saved.rollout.phases[3].services
    window.timeline.move_service("productpage", None)
    monkeypatch.setattr(dialogs, "ask_save_changes", answer(dialogs.DISCARD))
    assert window.close()
    assert asked == ["online-boutique"] * 3 + ["bookinfo"]


def test_new_scenario_is_valid_and_editable(window):
    window.files.new()
    assert [s.name for s in window.document.scenario.services] == ["frontend"]
    window.timeline.add_button.click()
    assert [p.name for p in window.document.scenario.rollout.phases] == ["phase-1"]


def test_gallery_lists_and_opens_samples(window):
    gallery = window.files.show_gallery()
    assert gallery.list.count() == len(SAMPLES)
    assert (
        "online-boutique"
        in gallery.list.item(SAMPLES.index(REPO / "samples" / "online-boutique.yaml")).text()
    )
    gallery.choose(0)
    assert window.document.path is None  # an untitled copy
    assert window.document.scenario is not None
    assert not gallery.isVisible()


def test_recent_files_and_window_state_are_remembered(qtbot, window, settings):
    window.files.open_path(REPO / "samples" / "bookinfo.yaml")
    window.results_dock.hide()
    window.close()
    assert str((REPO / "samples" / "bookinfo.yaml").resolve()) in window.files.recent()
    again = MainWindow(settings)
    qtbot.addWidget(again)
    again.show()
    assert again.files.recent() == window.files.recent()
    assert not again.results_dock.isVisible()
    assert again.inspector_dock.isVisible()


def test_import_dot_file(window):
    source = DATA / "formats" / "generic" / "online-boutique.dot"
    assert window.files.import_files("dot", [str(source)])
    names = {s.name for s in window.document.scenario.services}
    assert {"frontend", "cartservice", "redis-cart"} <= names
    assert window.isWindowModified()
    assert window.document.path is None
    assert len(window.graph.nodes) == len(names)


def test_import_of_an_unreadable_file_is_reported(window, tmp_path):
    broken = tmp_path / "broken.dot"
    broken.write_text("digraph { this is not dot")
    assert not window.files.import_files("dot", [str(broken)])
    assert window.banner.level == "error"
    assert "broken.dot" in window.banner.text


def test_export_istio_results_and_charts(boutique, qtbot, tmp_path, monkeypatch):
    window = boutique
    written = window.files.write_istio("edge", tmp_path / "istio")
    assert written and all(p.read_text().strip() for p in written)
    worker = window.runs.start_run()
    with qtbot.waitSignal(worker.finished, timeout=60_000, raising=True):
        pass
    out = tmp_path / "out.json"
    monkeypatch.setattr(dialogs, "save_file", lambda *a, **k: str(out))
    window.files.export_results("json")
    assert out.exists() and '"phases"' in out.read_text()
    csv_out = tmp_path / "out.csv"
    monkeypatch.setattr(dialogs, "save_file", lambda *a, **k: str(csv_out))
    window.files.export_results("csv")
    lines = csv_out.read_text().splitlines()
    assert lines[0].startswith("ordering,phaseIndex,phase")
    assert len(lines) == 1 + 1 + len(window.document.scenario.rollout.phases)
    monkeypatch.setattr(dialogs, "pick_directory", lambda *a, **k: str(tmp_path / "charts"))
    window.files.export_charts("svg")
    assert len(list((tmp_path / "charts").glob("*.svg"))) == len(window.results.charts.figures)


@pytest.mark.parametrize("fmt", ["png"])
def test_charts_export_png(boutique, qtbot, tmp_path, monkeypatch, fmt):
    window = boutique
    worker = window.runs.start_run()
    with qtbot.waitSignal(worker.finished, timeout=60_000, raising=True):
        pass
    monkeypatch.setattr(dialogs, "pick_directory", lambda *a, **k: str(tmp_path))
    window.files.export_charts(fmt)
    pngs = list(tmp_path.glob("*.png"))
    assert len(pngs) == 6 and all(p.stat().st_size > 1000 for p in pngs)


def test_saved_yaml_keeps_written_keys_only(boutique, tmp_path, monkeypatch):
    target = tmp_path / "saved.yaml"
    monkeypatch.setattr(dialogs, "save_file", lambda *a, **k: str(target))
    boutique.files.save_as()
    data = yaml.safe_load(Path(target).read_text())
    assert "concurrency" not in data["entrypoints"][0]
    assert data["services"][0]["name"] == "frontend"


def test_app_save_keeps_comments_and_changes_only_the_edited_line(window, tmp_path):
    import difflib
    import os

    copy = tmp_path / "retry-storm.yaml"
    copy.write_bytes((REPO / "samples" / "retry-storm.yaml").read_bytes())
    original = copy.read_text()
    assert window.files.open_path(copy)
    os.utime(copy, ns=(1_000_000_000, 1_000_000_000))
    assert window.files.save()  # nothing edited: the file is not touched
    assert copy.stat().st_mtime_ns == 1_000_000_000

    def more_replicas(data):
        data["services"][1]["replicas"] = 4

    window.document.edit("api replicas", more_replicas)
    assert window.isWindowModified()
    assert window.files.save()
    text = copy.read_text()
    changed = [
        line
        for line in difflib.unified_diff(original.splitlines(), text.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ["-    replicas: 2", "+    replicas: 4"]
    comments = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert [line for line in text.splitlines() if line.lstrip().startswith("#")] == comments
    assert not window.isWindowModified()
