"""Series in the report (SPEC §14): charts over time with faults and load shaded."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Polygon, Rectangle

from meshsim import run_scenario
from meshsim.planning.compare import compare
from meshsim.report import html as report
from meshsim.report import series as series_plots
from tests.conftest import build

SERVICES = [
    {"name": "a", "serviceTime": "2ms", "calls": [{"to": "b"}]},
    {"name": "b", "serviceTime": "3ms"},
]


@pytest.fixture(scope="module")
def scenario():
    return build(
        SERVICES,
        entrypoints=[
            {
                "name": "web",
                "service": "a",
                "rate": "20/s",
                "load": [{"at": "2s", "rate": "40/s", "ramp": "1s"}, {"at": "5s", "rate": "20/s"}],
            }
        ],
        faults=[{"service": "b", "type": "outage", "start": "6s", "duration": "1s"}],
        rollout={"phases": [{"name": "all", "services": ["a", "b"]}]},
        simulation={"duration": "8s", "series": "1s"},
    )


def test_time_marks_list_fault_windows_and_load_changes(scenario):
    marks = series_plots.time_marks(scenario)
    assert marks["faults"] == [(6.0, 7.0, "outage b")]
    assert marks["load"] == [(2.0, 3.0, "load web"), (5.0, 5.0, "load web")]


def test_plots_shade_the_marks_and_draw_one_line_per_edge(scenario):
    series = run_scenario(scenario).phases[0].series
    marks = series_plots.time_marks(scenario)
    fig = Figure()
    left, right = fig.subplots(1, 2)
    series_plots.plot_entry_series(left, series, "web", marks)
    spans = [p for p in left.patches if isinstance(p, Polygon | Rectangle)]
    assert len(spans) == 2  # the fault window and the ramp; the step is a dashed line
    assert any(line.get_linestyle() == "--" for line in left.lines)
    success = next(line for line in left.lines if line.get_label() == "success %")
    ys = success.get_ydata()
    # the outage second fails its requests but those arriving in its last 2 ms (their
    # call reaches b after 7 s); every other second is clean
    assert ys[6] < 20.0
    assert [y for i, y in enumerate(ys) if i != 6] == [100.0] * 7
    series_plots.plot_edge_attempts(right, series, 5, marks)
    assert {line.get_label() for line in right.lines if line.get_linestyle() == "-"} == {
        "@web → a",
        "a → b",
    }


def test_the_report_has_an_over_time_section_only_with_series(scenario):
    results = compare(scenario, strategies=["as-written"], workers=1)
    text = report.render_report(results, scenario)
    assert "<h2>Over time</h2>" in text
    assert text.count("(phase 0) under") == 1 and text.count("(phase 1) under") == 1
    off = scenario.model_copy(
        update={"simulation": scenario.simulation.model_copy(update={"series": None})}
    )
    assert "Over time" not in report.render_report(
        compare(off, strategies=["as-written"], workers=1), off
    )
