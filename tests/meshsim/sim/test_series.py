"""Time series of a run (SPEC §14) against exact answers."""

from __future__ import annotations

import math

import pytest

from meshsim import run_scenario
from meshsim.sim.compile import compile_phases
from meshsim.sim.engine import Simulation
from meshsim.sim.model import Model
from tests.conftest import build

CHAIN = [
    {"name": "a", "serviceTime": {"dist": "constant", "value": "2ms"}, "calls": [{"to": "b"}]},
    {"name": "b", "serviceTime": {"dist": "constant", "value": "3ms"}},
]


def chain(faults=(), **sim):
    return build(
        CHAIN,
        entrypoints=[{"name": "web", "service": "a", "rate": "8/s", "arrival": "constant"}],
        simulation={"duration": "10s", "series": "1s", **sim},
        faults=list(faults),
    )


def test_series_is_off_unless_asked_and_changes_no_result():
    plain = build(CHAIN, simulation={"duration": "10s", "warmup": "2s", "replications": 2})
    on = build(
        CHAIN, simulation={"duration": "10s", "warmup": "2s", "replications": 2, "series": "1s"}
    )
    a, b = run_scenario(plain).phases[0], run_scenario(on).phases[0]
    assert a.series is None and b.series is not None
    assert b.model_copy(update={"series": None}) == a
    assert "series" not in a.model_dump(by_alias=True)


def test_constant_arrivals_give_exact_counts_per_bucket():
    phase = run_scenario(chain(warmup="0s")).phases[0]
    series = phase.series
    assert series.bucket_s == 1.0 and series.t == [float(i) for i in range(10)]
    # arrivals at 0.125 k (exact in binary): 7 in [0, 1), then 8 per second
    web = series.entrypoints["web"]
    assert web.requests == [7.0] + [8.0] * 9
    assert web.ok == web.requests and web.failed == [0.0] * 10
    assert web.p50_ms == pytest.approx([5.0] * 10)  # 2 ms + 3 ms
    assert web.p99_ms == pytest.approx([5.0] * 10)
    (edge_ab,) = [e for e in series.edges if (e.from_, e.to) == ("a", "b")]
    assert edge_ab.calls == web.requests and edge_ab.failures == [0.0] * 10
    # a is busy 5 ms per request (it holds its worker during the call), b 3 ms; 16 workers
    a = series.services["a"]
    assert a.utilization == pytest.approx([n * 0.005 / 16 for n in web.requests])
    assert series.services["b"].utilization == pytest.approx([n * 0.003 / 16 for n in web.requests])
    assert a.in_flight == pytest.approx([n * 0.005 for n in web.requests])
    assert a.queued == [0.0] * 10 and a.ejected == [0.0] * 10


def test_bucket_counts_sum_to_the_totals():
    phase = run_scenario(chain(warmup="0s")).phases[0]
    series = phase.series
    assert sum(series.entrypoints["web"].requests) == phase.entrypoints["web"].requests
    for name, service in phase.services.items():
        assert sum(series.services[name].attempts) == service.attempts
    totals = {(e.from_, e.to): e for e in phase.edges}
    for edge in series.edges:
        assert sum(edge.calls) == totals[(edge.from_, edge.to)].calls
        assert sum(edge.attempts) == totals[(edge.from_, edge.to)].attempts


@pytest.mark.parametrize("seed", [1, 2])
def test_poisson_entry_counts_of_the_window_sum_to_the_totals(seed):
    s = build(
        [{"name": "q", "concurrency": 1, "serviceTime": {"dist": "exponential", "mean": "5ms"}}],
        entrypoints=[{"name": "web", "service": "q", "rate": "50/s"}],
        simulation={
            "duration": "30s",
            "warmup": "5s",
            "series": "1s",
            "seed": seed,
            "replications": 2,
        },
    )
    phase = run_scenario(s).phases[0]
    web, total = phase.series.entrypoints["web"], phase.entrypoints["web"]
    assert sum(web.requests[5:]) == pytest.approx(total.requests)  # means of 2 replications
    assert sum(web.ok[5:]) == pytest.approx(total.success_rate * total.requests)
    assert all(r > 0 for r in web.requests[:5])  # warm-up buckets are recorded too


def test_mm1_utilization_and_queue_follow_a_step_in_load():
    # M/M/1, mu = 100/s; lambda 30/s, then 70/s from 100 s. Per 20 s bucket the busy share
    # is lambda/mu (sd about 0.03 at rho 0.7 over ~1,400 services: bound 0.1); over the
    # 4 buckets of a regime L = rho / (1 - rho), Lq = rho^2 / (1 - rho) within 25%
    # (the time average of an M/M/1 queue converges slowly: relative sd ~ 8% at rho 0.7
    # over 80 s).
    s = build(
        [{"name": "q", "concurrency": 1, "serviceTime": {"dist": "exponential", "mean": "10ms"}}],
        entrypoints=[
            {
                "name": "web",
                "service": "q",
                "rate": "30/s",
                "load": [{"at": "100s", "rate": "70/s"}],
            }
        ],
        simulation={"duration": "200s", "warmup": "0s", "series": "20s", "seed": 3},
    )
    q = run_scenario(s).phases[0].series.services["q"]
    for rho, buckets in ((0.3, range(1, 5)), (0.7, range(6, 10))):
        for i in buckets:
            assert abs(q.utilization[i] - rho) < 0.1, (i, q.utilization[i])
        mean = sum(q.in_flight[i] for i in buckets) / 4
        queued = sum(q.queued[i] for i in buckets) / 4
        assert math.isclose(mean, rho / (1 - rho), rel_tol=0.25), (rho, mean)
        assert math.isclose(queued, rho**2 / (1 - rho), rel_tol=0.35), (rho, queued)


def test_a_fault_window_shows_failures_only_in_its_buckets():
    outage = {"service": "b", "type": "outage", "start": "10s", "duration": "4s"}
    s = chain([outage], warmup="0s", duration="20s")
    series = run_scenario(s).phases[0].series
    web = series.entrypoints["web"]
    (edge,) = [e for e in series.edges if (e.from_, e.to) == ("a", "b")]
    window = range(10, 14)
    for i in range(20):
        if i in window:  # every call refused: all fail, at once
            assert edge.failures[i] == edge.calls[i] == 8.0
            assert web.failed[i] == 8.0 and web.ok[i] == 0.0
            assert series.services["b"].rejected[i] == 8.0
        else:
            assert edge.failures[i] == 0.0 and web.failed[i] == 0.0
            assert series.services["b"].rejected[i] == 0.0


def test_a_running_job_reports_the_buckets_completed_so_far():
    s = chain(warmup="0s", duration="20s")
    model = Model(s)
    plan = compile_phases(s)[0]
    sim = Simulation(model, plan, 0)
    seen = []
    sim.run(on_progress=lambda frac: seen.append(sim.rec.completed()))
    final = sim.rec.series()
    sizes = [len(x.t) for x in seen]
    assert sizes == sorted(sizes) and 0 < sizes[0] < 20 and sizes[-1] == 20
    for part in seen:
        k = len(part.t)
        # counts of completed buckets are final: the events of a bucket are in the past
        assert part.services["b"]["attempts"] == final.services["b"]["attempts"][:k]
        assert part.t == final.t[:k]


def test_values_are_means_over_replications():
    from meshsim.sim.runner import RunRequest, run_many

    s = build(
        [{"name": "q", "concurrency": 1, "serviceTime": {"dist": "exponential", "mean": "5ms"}}],
        entrypoints=[{"name": "web", "service": "q", "rate": "50/s"}],
        simulation={"duration": "6s", "warmup": "1s", "series": "2s", "replications": 2},
    )
    both, one, two = run_many(
        [
            RunRequest(s),
            RunRequest(s, replication_indexes=(0,)),
            RunRequest(s, replication_indexes=(1,)),
        ]
    )
    mean, a, b = (r.phases[0].series for r in (both, one, two))
    for name in ("requests", "ok"):
        got = getattr(mean.entrypoints["web"], name)
        assert got == [
            (x + y) / 2
            for x, y in zip(
                getattr(a.entrypoints["web"], name),
                getattr(b.entrypoints["web"], name),
                strict=True,
            )
        ]
    assert mean.services["q"].utilization == pytest.approx(
        [
            (x + y) / 2
            for x, y in zip(a.services["q"].utilization, b.services["q"].utilization, strict=True)
        ]
    )
    assert a.entrypoints["web"].requests != b.entrypoints["web"].requests  # two streams


def test_the_results_document_round_trips_with_its_series():
    from models.results import Results

    results = run_scenario(chain(warmup="0s"))
    text = results.model_dump_json(by_alias=True)
    assert Results.model_validate_json(text) == results
    assert '"p99Ms"' in text and '"inFlight"' in text and '"bucketS"' in text
