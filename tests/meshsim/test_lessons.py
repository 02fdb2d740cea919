"""The lessons of samples/lessons (issue #13): each claim of their text, on the series.

Each sample runs with several seeds: a claim that holds for one seed only is not taught.
"""

from __future__ import annotations

import math
from functools import cache

import pytest

from meshsim import load_scenario, run_scenario
from meshsim.sim.profiles import profile_numbers
from models import Scenario
from tests.conftest import SAMPLES

LESSONS = SAMPLES / "lessons"
SEEDS = (1, 2, 3)


@cache
def run(name: str, seed: int):
    s = load_scenario(LESSONS / f"{name}.yaml")
    s = s.model_copy(update={"simulation": s.simulation.model_copy(update={"seed": seed})})
    return {p.name: p.series for p in run_scenario(s, workers=1).phases}


def goodput(series, entry="shop"):
    """ok / offered requests per bucket (1 where nothing arrived)."""
    e = series.entrypoints[entry]
    return [ok / n if n else 1.0 for ok, n in zip(e.ok, e.requests, strict=True)]


def edge(series, a, b):
    (found,) = [e for e in series.edges if (e.from_, e.to) == (a, b)]
    return found


def test_every_lesson_sample_is_valid_and_steps_every_phase_it_names():
    files = sorted(LESSONS.glob("*.yaml"))
    assert {f.stem for f in files} >= {
        "metastable",
        "outlier-detection",
        "retry-storm",
        "sidecar-latency",
        "strict-mtls",
        "timeout-cascade",
    }
    for path in files:
        s: Scenario = load_scenario(path)
        assert s.lessons and s.simulation.series == 1.0, path.name
        assert path.read_text().startswith("# ="), f"{path.name} needs its header comment"
        names = {"baseline", *(p.name for p in s.rollout.phases)}
        for step in s.lessons:
            assert step.phase in names and step.at is not None, (path.name, step.title)
            assert step.at < s.simulation.duration


@pytest.mark.parametrize("seed", SEEDS)
def test_metastable_failure_outlives_its_trigger_and_the_cures_recover(seed):
    # the spike ends at 15 s (load: spike at 10 s for 5 s)
    for phase in ("retries", "cure", "budget"):
        assert min(goodput(run("metastable", seed)[phase])[5:10]) >= 0.95, phase
    stuck = goodput(run("metastable", seed)["retries"])
    assert max(stuck[15:35]) < 0.5  # below half the offered load for 20 s after it ended
    for cure in ("cure", "budget"):
        assert min(goodput(run("metastable", seed)[cure])[20:]) >= 0.95  # back within 5 s
    # the mechanism: api's queues stay full and tries per request stay near 3
    retries = run("metastable", seed)["retries"]
    assert min(retries.services["api"].queued[20:]) > 0.75 * 150  # 2 pods x queueLimit 75
    calls = edge(retries, "web", "api")
    assert sum(calls.attempts[20:]) / sum(calls.calls[20:]) > 2.5


@pytest.mark.parametrize("seed", SEEDS)
def test_retry_storm_makes_27_tries_per_request(seed):
    series = run("retry-storm", seed)["mesh-all"]
    entry = edge(series, "@shop", "web")
    inventory = edge(series, "orders", "inventory")
    before, outage = range(2, 10), range(11, 19)  # inventory is down from 10 s to 20 s
    requests = sum(entry.calls[i] for i in outage)
    assert sum(inventory.attempts[i] for i in outage) / requests == pytest.approx(27, rel=0.06)
    for hop in series.edges:  # healthy: one try per call on every hop (exactly)
        assert [hop.attempts[i] for i in before] == [hop.calls[i] for i in before]
    for a, b in (("web", "api"), ("api", "orders"), ("orders", "inventory")):
        hop = edge(series, a, b)
        tries = sum(hop.attempts[i] for i in outage) / sum(hop.calls[i] for i in outage)
        assert tries == pytest.approx(3, rel=0.05), (a, b)
    assert max(goodput(series)[11:19]) == 0.0
    assert min(goodput(series)[21:]) == 1.0
    # without the mesh nothing is retried: one try per request, failing as fast
    baseline = run("retry-storm", seed)["baseline"]
    plain = edge(baseline, "orders", "inventory")
    assert sum(plain.attempts[i] for i in outage) == sum(plain.calls[i] for i in outage)


@pytest.mark.parametrize("seed", SEEDS)
def test_outlier_detection_ejects_the_bad_replica(seed):
    on = run("outlier-detection", seed)["detection"]
    off = run("outlier-detection", seed)["no-detection"]
    api = on.services["api"]
    assert api.ejected[:10] == [0.0] * 10
    assert api.ejected[10:30] == [1.0] * 20  # ejected within its first second, for 30 s
    assert min(goodput(on)[11:]) == 1.0  # only the first failures got through
    assert off.services["api"].ejected == [0.0] * 30
    # without detection one replica in four fails everything: ~25% of requests fail
    failed = 1 - sum(goodput(off)[11:]) / len(goodput(off)[11:])
    assert 0.18 < failed < 0.32


def test_strict_mtls_refuses_the_plaintext_caller():
    for seed in SEEDS:
        phases = run("strict-mtls", seed)
        broken = edge(phases["strict-api"], "web", "api")
        assert broken.failures == broken.calls and sum(broken.calls) > 0
        assert phases["strict-api"].services["api"].rejected == broken.attempts
        assert goodput(phases["strict-api"]) == [0.0] * 10
        assert goodput(phases["mesh-web"]) == [1.0] * 10
        assert sum(edge(phases["mesh-web"], "web", "api").failures) == 0


def test_sidecar_latency_adds_up_along_the_chain():
    s = load_scenario(LESSONS / "sidecar-latency.yaml")
    latency = profile_numbers(s.mesh).proxy.latency  # lognormal: mean = median e^(s^2/2)
    per_proxy_ms = latency.median * math.exp(latency.sigma**2 / 2) * 1000
    expected = 19 * per_proxy_ms  # 10 hops, 2 proxies each but the external client's
    for seed in SEEDS:
        phases = run("sidecar-latency", seed)
        base, meshed = (
            phases["baseline"].entrypoints["shop"],
            phases["mesh-all"].entrypoints["shop"],
        )
        assert base.p50_ms == pytest.approx([10.0] * 20)  # ten services, 1 ms each
        added = [m - b for m, b in zip(meshed.p50_ms, base.p50_ms, strict=True)]
        # a p50 of ~50 requests of a sum of 19 proxy delays: within 10% of 19 means
        assert all(abs(a - expected) < 0.1 * expected for a in added), (added, expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_timeout_cuts_the_cascade(seed):
    phases = run("timeout-cascade", seed)
    slow = range(12, 25)  # recommendations takes 2 s from 10 s to 25 s
    cascade = phases["baseline"]
    assert sum(goodput(cascade)[i] for i in slow) / len(slow) < 0.6
    assert min(cascade.services["api"].in_flight[i] for i in slow) > 120  # 64 workers + queue
    cut = phases["timeout"]
    assert goodput(cut) == [1.0] * 30
    assert max(cut.services["api"].in_flight) < 20
    assert max(cut.entrypoints["shop"].p99_ms) < 150  # the 100 ms timeout bounds the wait
