from __future__ import annotations

from PySide6.QtCore import Qt

from meshsim import load_scenario
from tests.conftest import SAMPLES
from ui.problems_list import EMPTY_TEXT, ProblemsList


def test_lists_findings_and_chooses_a_field(qtbot):
    widget = ProblemsList()
    qtbot.addWidget(widget)
    widget.show()
    widget.show_scenario(load_scenario(SAMPLES / "retry-storm.yaml"))
    assert widget.paths() == ["mesh.defaults.retries.attempts", "mesh.defaults"]
    first = widget.item(0)
    assert first.text().startswith("retry-amplification: phase mesh-all: ")
    assert "fix: retry at one hop only" in first.toolTip()
    with qtbot.waitSignal(widget.field_chosen, raising=True) as signal:
        qtbot.mouseClick(
            widget.viewport(), Qt.MouseButton.LeftButton, pos=widget.visualItemRect(first).center()
        )
    assert signal.args == ["mesh.defaults.retries.attempts"]


def test_empty_and_cleared(qtbot):
    from tests.conftest import build

    widget = ProblemsList()
    qtbot.addWidget(widget)
    widget.show_scenario(build([{"name": "a"}]))
    assert widget.count() == 1 and widget.item(0).text() == EMPTY_TEXT
    assert widget.paths() == []
    widget.show_scenario(None)
    assert widget.count() == 0
