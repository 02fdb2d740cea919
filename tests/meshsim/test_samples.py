"""Every bundled sample loads and runs, and shows what it is there to show."""

from __future__ import annotations

import pytest

from meshsim import load_scenario, run_scenario
from tests.conftest import SAMPLES

SAMPLE_FILES = sorted(SAMPLES.glob("*.yaml"))


def short(path, duration="8s", replications=1):
    s = load_scenario(path)
    data = s.model_dump(by_alias=True, exclude_unset=True)
    data["simulation"] = {
        **data.get("simulation", {}),
        "duration": duration,
        "warmup": "1s",
        "replications": replications,
    }
    return type(s).model_validate(data)


def test_there_are_samples():
    assert {p.name for p in SAMPLE_FILES} >= {
        "online-boutique.yaml",
        "bookinfo.yaml",
        "retry-storm.yaml",
    }


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_runs(path):
    r = run_scenario(short(path))
    assert len(r.phases) == len(load_scenario(path).rollout.phases) + 1
    for p in r.phases:
        for e in p.entrypoints.values():
            assert e.requests > 0


def test_online_boutique_phases_differ_meaningfully():
    r = run_scenario(short(SAMPLES / "online-boutique.yaml", "20s"), workers=2)
    first, last = r.phases[0], r.phases[-1]
    assert first.mtls_coverage == 0 and last.mtls_coverage == 1.0
    covs = [p.mtls_coverage for p in r.phases]
    assert covs == sorted(covs)
    assert [p.proxies for p in r.phases] == sorted(p.proxies for p in r.phases)
    assert last.proxy_cpu_cores > 0.3
    assert all(p.breakages == 0 for p in r.phases)


def test_retry_storm_shows_the_storm_and_its_cure():
    s = load_scenario(SAMPLES / "retry-storm.yaml")
    data = s.model_dump(by_alias=True, exclude_unset=True)
    data["simulation"]["replications"] = 1
    r = run_scenario(type(s).model_validate(data), workers=2)
    baseline, storm, cure = r.phases
    assert storm.retry_amplification > 1.4
    inventory = [p.services["inventory"] for p in r.phases]
    assert inventory[1].attempts > 2.5 * inventory[0].attempts
    assert cure.retry_amplification < storm.retry_amplification
    p99 = [p.entrypoints["shop"].latency_ms.p99 for p in r.phases]
    assert p99[1] > 10 * p99[2]


def test_online_boutique_shows_the_catalogue_ejection():
    # the whole 30 s window (the error fault is at 28 s), one replication
    r = run_scenario(short(SAMPLES / "online-boutique.yaml", "30s"), workers=2)
    catalogue = [p.services["productcatalogservice"] for p in r.phases]
    baseline, edge = catalogue[0], catalogue[-1]
    # nobody meshed: no detector, no retry; the fault's errors reach the callers
    assert baseline.errors > 0
    assert baseline.ejections == 0 and baseline.retries == 0
    # every caller meshed: each gRPC error (grpc-status INTERNAL) is retried under
    # `internal` onto the other replica, and the failing replica is ejected
    assert edge.errors > 0
    assert edge.retries == edge.errors
    assert edge.ejections >= 1
    first, last = (p.entrypoints["web"].success_rate for p in (r.phases[0], r.phases[-1]))
    assert last > first
