"""Plot functions draw the data they are given, on any Axes, without pyplot or Qt."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

from meshsim.report import plots
from models.results import CompareResults, OrderingResult, OrderingScore
from tests.meshsim.planning.planning_scenarios import phase_result as phase
from tests.meshsim.planning.planning_scenarios import shop

SCORE = OrderingScore(
    score=1.0,
    slo_violations=0,
    breakages=0,
    max_exposure=0.0,
    mean_exposure=0.0,
    mtls_auc=0.0,
    sensitive_mtls_auc=0.0,
    peak_proxy_cpu_cores=0.0,
    p99_delta_ms=0.0,
)


def results():
    a = [
        phase(0, p99=10),
        phase(1, p99=12, ok=0.9, mtls=0.5, exposure=0.2, cpu=0.1, mem=60),
        phase(2, p99=15, ok=0.95, mtls=1.0, exposure=1.0, cpu=0.3, mem=120),
    ]
    b = [phase(0, p99=10), phase(1, p99=11, mtls=0.25, exposure=0.7, cpu=0.2, mem=90)]
    return CompareResults(
        orderings=[
            OrderingResult(name="a", strategy="named", phases=a, score=SCORE),
            OrderingResult(name="b", strategy="named", phases=b, score=SCORE),
        ],
        ranking=["a", "b"],
    )


def ax():
    return Figure().add_subplot()


@pytest.mark.parametrize(
    ("plot", "expected_a"),
    [
        (plots.plot_p99, [10, 12, 15]),
        (plots.plot_success_rate, [100, 90, 95]),
        (plots.plot_mtls_coverage, [0, 50, 100]),
        (plots.plot_exposure, [0, 20, 100]),
        (plots.plot_proxy_cpu, [0, 0.1, 0.3]),
        (plots.plot_proxy_memory, [0, 60, 120]),
    ],
)
def test_phase_charts_draw_one_line_per_ordering(plot, expected_a):
    out = plot(ax(), results())
    lines = out.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    assert list(lines[0].get_xdata()) == [0, 1, 2]
    assert list(lines[0].get_ydata()) == pytest.approx(expected_a)
    assert len(lines[1].get_ydata()) == 2
    assert lines[0].get_color() != lines[1].get_color()
    assert [t.get_text() for t in out.get_xticklabels()] == ["base", "1", "2"]


def test_p99_of_one_entrypoint_and_a_single_run():
    line = plots.plot_p99(ax(), results(), entrypoint="admin").get_lines()[0]
    assert list(line.get_ydata()) == pytest.approx([5, 6, 7.5])
    from models.results import Results

    run = Results(
        meshsim_version="0",
        scenario="s",
        seed=1,
        replications=1,
        duration_s=1,
        warmup_s=0,
        phases=results().orderings[0].phases,
    )
    assert plots.plot_p99(ax(), run).get_lines()[0].get_label() == "s"


def test_blast_matrix_and_heatmap():
    s = shop()
    matrix = plots.blast_matrix(s, s.rollout.phases)
    assert matrix["db"] == pytest.approx([1.0, 1.0, 1.0])
    assert matrix["ads"] == [0.0, 0.0, 0.0]
    assert matrix["pay"] == pytest.approx([0.2, 0.2, 0.2])
    assert matrix["api"][0] is None and matrix["api"][1] == pytest.approx(1.0)
    assert matrix["web"][:2] == [None, None]
    out = plots.plot_blast_heatmap(ax(), matrix, [p.name for p in s.rollout.phases])
    grid = np.ma.filled(out.get_images()[0].get_array().astype(float), np.nan)
    assert grid.shape == (5, 3)
    assert math.isnan(grid[0, 0]) and grid[0, 2] == pytest.approx(100)
    texts = sorted(t.get_text() for t in out.texts)
    assert texts.count("100") == 3 + 2 + 1 and texts.count("20") == 3


def test_graph_colours_services_by_their_phase():
    s = shop()
    out = plots.plot_graph(ax(), s)
    colours = [tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in out.collections]
    assert len(colours) == 6  # five services and one entrypoint
    labels = [t.get_text() for t in out.texts]
    assert set(labels) == {"@users", "web", "api", "db", "ads", "pay"}
    by_label = dict(zip(labels, colours, strict=True))
    assert by_label["db"] == by_label["ads"] == by_label["pay"]
    assert len({by_label["db"], by_label["api"], by_label["web"], by_label["@users"]}) == 4
    legend = [t.get_text() for t in out.get_legend().get_texts()]
    assert legend == ["1: leaves", "2: middle", "3: edge"]
    partial = plots.plot_graph(ax(), s, s.rollout.phases[:1])
    assert [t.get_text() for t in partial.get_legend().get_texts()][-1] == "never meshed"


def test_plots_never_import_pyplot_or_qt():
    code = (
        "import sys, meshsim.report.plots, meshsim.report.html; "
        "assert 'matplotlib.pyplot' not in sys.modules; "
        "assert not any(m.startswith('PySide6') for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_p99_draws_the_slo_and_goes_logarithmic_for_overloads():
    out = plots.plot_p99(ax(), results(), slo_ms=12.5)
    slo = [line for line in out.get_lines() if line.get_label() == "_slo"]
    assert len(slo) == 1 and list(slo[0].get_ydata()) == [12.5, 12.5]
    assert "SLO 12.5 ms" in [t.get_text() for t in out.texts]
    assert out.get_yscale() == "linear"
    first, second = results().orderings
    slow = first.model_copy(update={"phases": [phase(0, p99=12000), *first.phases[1:]]})
    assert plots.plot_p99(ax(), [slow, second]).get_yscale() == "log"


def test_confidence_intervals_are_drawn_as_bands():
    def with_ci(p, p99_ci, cpu_ci):
        users = p.entrypoints["users"].model_copy(update={"ci95": {"latencyMs.p99": p99_ci}})
        return p.model_copy(
            update={
                "entrypoints": {**p.entrypoints, "users": users},
                "ci95": {"proxyCpuCores": cpu_ci},
            }
        )

    a = [with_ci(phase(0, p99=10), 1.0, 0.0), with_ci(phase(1, p99=20, cpu=0.3), 4.0, 0.05)]
    data = [OrderingResult(name="a", strategy="named", phases=a, score=SCORE)]
    band = plots.plot_p99(ax(), data).collections[0]
    ys = band.get_paths()[0].vertices[:, 1]
    assert min(ys) == pytest.approx(9.0) and max(ys) == pytest.approx(24.0)
    cpu = plots.plot_proxy_cpu(ax(), data).collections[0].get_paths()[0].vertices[:, 1]
    assert min(cpu) == pytest.approx(0.0) and max(cpu) == pytest.approx(0.35)
    # one replication: no interval, no band
    assert len(plots.plot_p99(ax(), results()).collections) == 0
