"""The score weights and constraints dialog: one undo step, inline problems, defaults."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit

from ui import dialogs
from ui.plan_settings import PlanSettingsDialog


def dialog_of(window, qtbot) -> PlanSettingsDialog:
    dialog = PlanSettingsDialog(window.session, window)
    qtbot.addWidget(dialog)
    return dialog


def test_defaults_show_as_placeholders(boutique, qtbot):
    dialog = dialog_of(boutique, qtbot)
    assert dialog.fields["weights.pilotExposure"].edit.placeholderText() == "15 — default"
    assert dialog.fields["weights.mtlsAuc"].edit.text() == ""
    pilot = dialog.fields["constraints.pilotMaxExposure"].edit
    assert pilot.placeholderText() == "10% — default" and pilot.text() == ""


def test_weights_and_constraints_are_one_undo_step(boutique, qtbot):
    window = boutique
    before = window.document.scenario
    dialog = dialog_of(window, qtbot)
    dialog.fields["weights.pilotExposure"].edit.setText("30")
    dialog.fields["weights.endProxyCpu"].edit.setText("0")
    dialog.fields["constraints.pilotMaxExposure"].edit.setText("20%")
    dialog.fields["constraints.maxServicesPerPhase"].edit.setText("4")
    dialog.fields["constraints.first"].edit.setText("adservice, emailservice")
    dialog.fields["constraints.last"].edit.setText("frontend")
    assert dialog.apply()
    rollout = window.document.scenario.rollout
    assert rollout.score_weights == {"pilotExposure": 30.0, "endProxyCpu": 0.0}
    constraints = rollout.constraints
    assert constraints.pilot_max_exposure == 0.2 and constraints.max_services_per_phase == 4
    assert (constraints.first, constraints.last) == (["adservice", "emailservice"], ["frontend"])
    assert window.document.undo_stack.count() == 1
    # the dialog shows what the scenario now says; restoring the defaults drops it all
    again = dialog_of(window, qtbot)
    assert again.fields["weights.pilotExposure"].edit.text() == "30"
    assert again.fields["constraints.pilotMaxExposure"].edit.text() == "0.2"
    again.restore_defaults()
    assert again.apply()
    assert window.document.scenario.rollout.score_weights == {}
    assert window.document.scenario.rollout.constraints == before.rollout.constraints
    window.action("undo").trigger()
    window.action("undo").trigger()
    assert window.document.scenario == before
    assert not window.document.is_dirty


def test_invalid_values_show_inline_and_change_nothing(boutique, qtbot):
    window = boutique
    before = window.document.scenario
    cases = [
        ("weights.endLatency", "lots", "expected a number"),
        ("weights.endLatency", "-1", "at least 0"),
        ("constraints.pilotMaxExposure", "150%", "constraints.pilotMaxExposure"),
        ("constraints.maxServicesPerPhase", "0", "must be at least 1 (got 0)"),
        ("constraints.first", "nope", "unknown service 'nope'"),
    ]
    for key, text, message in cases:
        dialog = dialog_of(window, qtbot)
        dialog.fields[key].edit.setText(text)
        assert not dialog.apply()
        error = dialog.fields[key].error
        assert not error.isHidden(), key
        assert message in error.text(), (key, error.text())
        assert window.document.scenario == before
    dialog = dialog_of(window, qtbot)
    dialog.fields["constraints.first"].edit.setText("frontend")
    dialog.fields["constraints.last"].edit.setText("frontend")
    dialog.accept()  # refused: the dialog stays open with the problem under "last"
    assert dialog.result() == 0
    assert "both first and last" in dialog.fields["constraints.last"].error.text()
    assert window.document.undo_stack.count() == 0


def test_reachable_from_the_menu_and_the_ranking(boutique, monkeypatch):
    window = boutique
    calls = []
    monkeypatch.setattr(dialogs, "edit_plan_settings", lambda *a: calls.append(a) or True)
    action = window.action("plan_settings")
    assert action in window.menus["Simulation"].actions() and action.isEnabled()
    action.trigger()
    window.results.ranking_page.settings_button.click()
    assert len(calls) == 2 and calls[0][1] is window.session


def test_wheel_does_not_reach_the_dialog_fields(boutique, qtbot):
    # every field is a line edit: the wheel cannot change a value
    dialog = dialog_of(boutique, qtbot)
    assert all(isinstance(f.edit, QLineEdit) for f in dialog.fields.values())
