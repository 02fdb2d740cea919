from __future__ import annotations

from meshsim import parse_scenario
from tests.meshsim.planning.test_sweep import TEXT
from ui.sweep_panel import SweepPanel, suggest_values


def test_suggestions():
    assert suggest_values("200ms") == "50ms..800ms:8"
    assert suggest_values(2) == "0..4:5"
    assert suggest_values(0) == "0..2:3"


def test_sweep_fills_in_and_a_click_chooses_a_setting(qtbot):
    panel = SweepPanel()
    qtbot.addWidget(panel)
    panel.sweep_field("mesh.defaults.retries.attempts", 1)
    assert panel.values[0].text() == "0..3:4"
    seen = []
    panel.point_done.connect(lambda i, p: seen.append(i))
    worker = panel.start(parse_scenario(TEXT))
    with qtbot.waitSignal(worker.finished, timeout=120_000, raising=True):
        pass
    qtbot.waitUntil(lambda: panel.result is not None and len(seen) == 4)
    assert seen == [0, 1, 2, 3]
    assert [p.values["mesh.defaults.retries.attempts"] for p in panel.result.points] == [0, 1, 2, 3]
    assert panel.status.text().startswith("best: meets every SLO")
    ax = panel.figure.axes[0]
    assert any(line.get_label() == "web" for line in ax.get_lines())
    assert panel.point_at(2.2, 0.5) == 2
    with qtbot.waitSignal(panel.setting_chosen, raising=True) as signal:
        panel._on_canvas_button_press(type("Event", (), {"xdata": 0.9, "ydata": 0.9})())
    assert signal.args == [{"mesh.defaults.retries.attempts": 1}]
