from __future__ import annotations

from meshsim import run_scenario
from meshsim.files.overrides import apply_overrides, parse_override
from tests.meshsim.planning.test_sweep import TEXT
from ui.run_history import RunHistoryView, differences


def _run(*sets):
    return run_scenario(apply_overrides(TEXT, "t.yaml", [parse_override(s) for s in sets]))


def test_differences_line_up_phases():
    a = _run("mesh.defaults.retries.attempts=0")
    b = _run("mesh.defaults.retries.attempts=2")
    rows = {(d.phase, d.entrypoint, d.metric): d for d in differences(a, b)}
    amp = rows[("all", "", "retry x")]
    assert amp.a == a.phases[1].retry_amplification == 1.0
    assert amp.b == b.phases[1].retry_amplification and amp.delta == amp.b - 1.0 > 0
    ok = rows[("all", "web", "success %")]
    assert ok.a == 100 * a.phases[1].entrypoints["web"].success_rate
    # the baseline has no mesh: the retry setting changes nothing there (same random numbers)
    assert rows[("baseline", "web", "p99 ms")].delta == 0.0


def test_view_keeps_the_last_runs_and_compares_two(qtbot):
    view = RunHistoryView(max_runs=2)
    qtbot.addWidget(view)
    a, b = _run("mesh.defaults.retries.attempts=0"), _run("mesh.defaults.retries.attempts=2")
    view.add(a, "attempts 0")
    view.add(b, "attempts 2")
    view.add(b, "attempts 2 again")
    assert [view.list.item(i).text() for i in range(view.list.count())] == [
        "attempts 2 again",
        "attempts 2",
    ]
    view.list.item(0).setSelected(True)
    assert view.table.rowCount() == 0
    view.list.item(1).setSelected(True)
    assert view.note.text() == "A: attempts 2    B: attempts 2 again"
    assert view.table.rowCount() == len(differences(b, b))
    assert {view.table.item(r, 5).text() for r in range(view.table.rowCount())} <= {"+0", "-"}
