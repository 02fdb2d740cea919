"""Sweeps (SPEC §15): values, common random numbers, best, plots."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from meshsim.files.overrides import apply_overrides, parse_override
from meshsim.planning.sweep import best_point, parse_param, parse_values, sweep
from meshsim.report.sweep_plots import plot_sweep
from meshsim.sim.runner import RunRequest, run_many
from models.results import EntrypointResult, LatencyStats
from models.sweep import SweepPoint

TEXT = """\
services:
  - name: a
    serviceTime: {dist: exponential, mean: 5ms}
    calls: [{to: b}]
  - name: b
    replicas: 2
    serviceTime: {dist: exponential, mean: 4ms}
    errorRate: 0.2
entrypoints:
  - {name: web, service: a, rate: 40/s, slo: {errorRate: 0.05}}
mesh:
  defaults: {retries: {attempts: 2, retryOn: [5xx]}}
rollout:
  phases:
    - {name: all, services: [a, b]}
simulation: {duration: 4s, warmup: 1s, replications: 2, seed: 11}
"""


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("10ms..1s:3", ("10ms", "100ms", "1s")),  # ratio 100: log-spaced
        ("100ms..500ms:5", ("100ms", "200ms", "300ms", "400ms", "500ms")),  # ratio 5: even
        ("0..3:4", (0, 1, 2, 3)),  # an end at 0: even
        ("1..100:3", (1, 10, 100)),
        ("0.1..0.4:4", (0.1, 0.2, 0.3, 0.4)),
        ("1..4:7", (1, 2, 3, 4)),  # whole numbers, repeats dropped
        ("50ms,100ms,none", ("50ms", "100ms", "none")),
        ("[5xx],[5xx, reset]", (["5xx"], ["5xx", "reset"])),
    ],
)
def test_values(text, values):
    assert parse_values(text) == values


def test_bad_range():
    with pytest.raises(ValueError, match="at least 2"):
        parse_values("1..5:1")
    with pytest.raises(ValueError, match="PATH="):
        parse_param("no-values")


def test_points_are_the_runs_with_those_settings():
    result = sweep(
        TEXT,
        "t.yaml",
        [
            parse_param("mesh.defaults.retries.attempts=0,2"),
            parse_param("services[b].replicas=1,2"),
        ],
        workers=1,
    )
    assert [p.values for p in result.points] == [
        {"mesh.defaults.retries.attempts": 0, "services[b].replicas": 1},
        {"mesh.defaults.retries.attempts": 0, "services[b].replicas": 2},
        {"mesh.defaults.retries.attempts": 2, "services[b].replicas": 1},
        {"mesh.defaults.retries.attempts": 2, "services[b].replicas": 2},
    ]
    assert result.phase == "all" and result.replications == 2
    for point in result.points:
        sets = [parse_override(f"{k}={v}") for k, v in point.values.items()]
        alone = run_many([RunRequest(apply_overrides(TEXT, "t.yaml", sets), phase_indexes=(1,))])
        assert point.entrypoints == alone[0].phases[0].entrypoints
        assert point.retry_amplification == alone[0].phases[0].retry_amplification


def test_common_random_numbers_and_shared_model():
    # tier changes nothing the engine uses: both points must be exactly equal
    flat = sweep(TEXT, "t.yaml", [parse_param("services[a].tier=critical,low")], workers=1)
    assert flat.points[0].entrypoints == flat.points[1].entrypoints
    # a rollout parameter: the points share the compiled model, the results are the same
    # as simulating each modified scenario on its own
    plan = sweep(
        TEXT,
        "t.yaml",
        [parse_param("rollout.phases[all].services=[a, b],[b]")],
        workers=1,
    )
    alone = run_many(
        [
            RunRequest(
                apply_overrides(TEXT, "t.yaml", [parse_override("rollout.phases[0].services=[b]")]),
                phase_indexes=(1,),
            )
        ]
    )[0]
    assert plan.points[1].entrypoints == alone.phases[0].entrypoints
    assert plan.points[0].retry_amplification > 1.0 == plan.points[1].retry_amplification


def test_best_meets_the_slo():
    result = sweep(
        TEXT, "t.yaml", [parse_param("mesh.defaults.retries.attempts=0..3:4")], workers=1
    )
    by_attempts = {p.values["mesh.defaults.retries.attempts"]: p for p in result.points}
    # 20% errors at b: without retries about 20% fail (SLO 5% missed); with 3 tries 0.8%
    assert not by_attempts[0].slo_met and by_attempts[3].slo_met
    assert result.best.values is not None
    assert by_attempts[result.best.values["mesh.defaults.retries.attempts"]].slo_met
    assert "meets every SLO" in result.best.why


def _point(values, good, amp, p99, met=True):
    entry = EntrypointResult(
        requests=100,
        success_rate=good,
        good_rate=good,
        throughput_rps=1.0,
        slo_met=met,
        latency_ms=LatencyStats(p99=p99),
    )
    return SweepPoint(
        values=values,
        entrypoints={"w": entry},
        retry_amplification=amp,
        proxy_cpu_cores=0.1,
        slo_met=met,
        good_rate=good,
        p99_ms=p99,
    )


def test_best_ties_and_none():
    points = [
        _point({"x": 1}, 0.99, 1.5, 50.0),
        _point({"x": 2}, 0.99, 1.2, 80.0),
        _point({"x": 3}, 0.99, 1.2, 60.0),
        _point({"x": 4}, 0.999, 3.0, 10.0, met=False),
    ]
    best = best_point(points)
    assert best.values == {"x": 3}
    assert best.why.startswith(
        "meets every SLO (3 of 4 points do) with the highest goodRate, 99.00%"
    )
    assert "tied with 2 other point(s)" in best.why
    none = best_point([points[3]])
    assert (
        none.values is None
        and none.why == "no point meets every SLO; the highest goodRate is 99.90% at x=4"
    )


def test_plots():
    line = sweep(TEXT, "t.yaml", [parse_param("mesh.defaults.retries.attempts=0,2")], workers=1)
    ax = plot_sweep(Figure().add_subplot(), line)
    (curve,) = [c for c in ax.get_lines() if c.get_label() == "web"]
    assert list(curve.get_ydata()) == [p.entrypoints["web"].good_rate for p in line.points]
    assert len(ax.collections) == 1  # the CI band
    grid = sweep(
        TEXT,
        "t.yaml",
        [
            parse_param("mesh.defaults.retries.attempts=0,2"),
            parse_param("services[b].replicas=1,2"),
        ],
        workers=1,
    )
    ax = plot_sweep(Figure().add_subplot(), grid, "retryAmplification")
    image = ax.get_images()[0].get_array()
    assert image.shape == (2, 2)
    assert image[1, 0] == grid.points[2].retry_amplification  # attempts=2, replicas=1


def test_batches_report_points_and_change_nothing():
    params = [parse_param("mesh.defaults.retries.attempts=0..2:3")]
    whole = sweep(TEXT, "t.yaml", params, workers=1)
    seen = []
    batched = sweep(
        TEXT, "t.yaml", params, workers=1, batch=1, on_point=lambda i, p: seen.append((i, p))
    )
    assert batched == whole
    assert [i for i, _ in seen] == [0, 1, 2]
    assert [p for _, p in seen] == whole.points


def test_a_sweep_of_many_entrypoints_plots_their_mean_and_the_busiest():
    from models.sweep import SweepBest, SweepResults

    def point(x):
        entries = {
            f"e{i:02d}": EntrypointResult(
                requests=10 * i, success_rate=1.0, good_rate=0.5 + i / 100 + x / 1_000_000,
                throughput_rps=1.0, slo_met=None, latency_ms=LatencyStats(p99=10.0),
            )
            for i in range(12)
        }  # fmt: skip
        return SweepPoint(
            values={"mesh.defaults.timeout": f"{x}ms"}, entrypoints=entries,
            retry_amplification=1.0, proxy_cpu_cores=0.1, slo_met=False,
            good_rate=0.5, p99_ms=10.0,
        )  # fmt: skip

    result = SweepResults(
        phase="p", replications=1, params=["mesh.defaults.timeout"],
        points=[point(2000), point(30000)], best=SweepBest(values=None, why="none"),
    )  # fmt: skip
    ax = plot_sweep(Figure().add_subplot(), result)
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["mean of 12 entrypoints", "e11", "e10", "e09", "e08", "e07"]
    mean = ax.get_lines()[0].get_ydata()
    assert list(mean) == pytest.approx([0.5 + 0.055 + 0.002, 0.5 + 0.055 + 0.030])
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["2000ms", "30000ms"]  # the swept values, on the log axis
