"""Sweep this…: a field of the inspector opens the sweep dock; a chosen point is one edit."""

from __future__ import annotations

from tests.ui.ui_testing import REPO, short_copy
from ui.sweep_actions import spec_path


def test_spec_paths_name_list_items():
    data = {
        "mesh": {"policies": [{"host": "payment"}]},
        "rollout": {"phases": [{"name": "pilot", "policies": [{"host": "cart"}]}]},
        "faults": [{"service": "db"}],
    }
    assert spec_path(data, ("mesh", "policies", 0, "timeout")) == "mesh.policies[payment].timeout"
    assert spec_path(data, ("rollout", "phases", 0, "policies", 0, "retries", "attempts")) == (
        "rollout.phases[pilot].policies[cart].retries.attempts"
    )
    assert spec_path(data, ("faults", 0, "duration")) == "faults[0].duration"


def test_sweep_this_fills_the_panel_and_shows_the_dock(boutique):
    window = boutique
    window.select_service("cartservice")
    index = [s.name for s in window.document.scenario.services].index("cartservice")
    editor = window.inspector.editors[f"services[{index}].replicas"]
    assert editor.sweep_value == 2
    actions = [a for a in editor.context_menu().actions() if a.objectName() == "sweep_this"]
    assert len(actions) == 1
    actions[0].trigger()
    panel = window.sweep_panel
    assert panel.paths[0].text() == "services[cartservice].replicas"
    assert panel.values[0].text() == "0..4:5"
    assert window.sweep_dock.isVisible() and not window.sweep_dock.visibleRegion().isEmpty()
    # a duration inherited from mesh.defaults sweeps around the inherited value
    window.inspector.select_scenario()
    retries = window.inspector.editors["mesh.defaults.retries.backoff.base"]
    assert retries.sweep_value == "25ms"
    # names, choices and distributions offer no sweep
    assert window.inspector.editors["simulation.networkLatency"].sweep_value is None
    assert window.inspector.editors["mesh.profile"].sweep_value is None
    assert not window.document.is_dirty


def test_a_draft_policy_offers_no_sweep(boutique):
    window = boutique
    window.select_service("cartservice")
    window.inspector.extras.policy_for_service()
    assert window.inspector.selection.kind == "policy_draft"
    assert all(e.sweep_value is None for e in window.inspector.editors.values())


def test_clicking_a_point_loads_its_setting_as_one_undo_step(window, tmp_path):
    assert window.files.open_path(short_copy(REPO / "samples" / "retry-storm.yaml", tmp_path))
    before = window.document.scenario
    values = {"mesh.defaults.retries.attempts": 1, "services[api].replicas": 4}
    window.sweep_panel.setting_chosen.emit(values)
    scenario = window.document.scenario
    assert scenario.mesh.defaults.retries.attempts == 1
    assert scenario.service("api").replicas == 4
    assert window.document.undo_stack.count() == 1
    assert "services[api].replicas → 4" in window.action("undo").text()
    window.action("undo").trigger()
    assert window.document.scenario == before
    assert not window.document.is_dirty


def test_an_impossible_point_or_range_changes_nothing(window, tmp_path, monkeypatch):
    assert window.files.open_path(short_copy(REPO / "samples" / "retry-storm.yaml", tmp_path))
    before = window.document.scenario
    assert not window.sweeps.apply_setting({"services[api].replicas": 0})
    assert "Cannot load" in window.banner.text
    assert not window.sweeps.apply_setting({"services[nope].replicas": 2})
    assert window.document.scenario == before and window.document.undo_stack.count() == 0
    window.sweep_panel.paths[0].setText("services[api].replicas")
    window.sweep_panel.values[0].setText("1..4:1")
    assert window.sweeps.start() is None
    assert "at least 2 values" in window.sweep_panel.status.text()
    assert window.sweep_panel.worker is None
