"""SPEC §20 in the engine: canaries, authorization, drills, clusters, cost.

Every expected value is derived by hand from the scenario (constant times, exact
counts), not read off a run.
"""

from __future__ import annotations

import textwrap

import pytest

from meshsim import parse_scenario, run_scenario
from models.results import Results

HEAD = (
    "metadata: {name: beyond}\n"
    "simulation: {duration: 10s, warmup: 0s, seed: 5, replications: 1}\n"
)
PROXY_1MS = "mesh: {profile: custom, proxy: {latency: 1ms, cpuPer1kRps: 0.2, memoryMiB: 50}}\n"


def results(body: str, mesh: str = PROXY_1MS) -> Results:
    """Run every phase of a scenario given as YAML (services, entrypoints, rollout...)."""
    return run_scenario(parse_scenario(HEAD + textwrap.dedent(body) + mesh))


CANARY = """\
services:
  - {name: c, concurrencyModel: async, concurrency: 100000, serviceTime: 0ms, calls: [{to: a}]}
  - {name: a, replicas: 4, concurrency: 100000, serviceTime: 0ms}
entrypoints: [{name: web, service: c, rate: 100/s, arrival: constant}]
rollout:
  phases:
    - {name: canary-a, canary: {a: 0.3}}
    - {name: all-a, services: [a]}
"""


def test_canary_meshes_the_rounded_up_share_and_splits_the_metrics() -> None:
    res = results(CANARY)
    canary, full = res.phases[1], res.phases[2]
    # ceil(0.3 × 4) = 2 of a's 4 replicas get a sidecar; nothing else is meshed
    assert canary.canary == {"a": 0.3}
    assert canary.proxies == 2
    assert canary.proxy_memory_mi_b == 100.0
    a = canary.services["a"]
    assert a.meshed is not None and a.plain is not None
    assert (a.meshed.replicas, a.plain.replicas) == (2, 2)
    # c is plaintext: it picks among all four replicas, meshed and plain alike
    assert a.meshed.attempts + a.plain.attempts == a.attempts == a.calls
    assert a.meshed.attempts > 0 and a.plain.attempts > 0
    assert a.meshed.failures == a.plain.failures == 0
    # only the meshed replicas' inbound sidecar adds its 1 ms: mean = 1 ms × meshed share
    assert a.latency_ms.mean == pytest.approx(a.meshed.attempts / a.attempts, abs=1e-9)
    # a later phase that lists the service meshes all of it and ends the split
    assert full.canary is None and full.proxies == 4
    assert full.services["a"].meshed is None and full.services["a"].plain is None
    assert full.services["a"].latency_ms.mean == pytest.approx(1.0, abs=1e-9)


def test_canary_results_keys_absent_without_canary() -> None:
    res = results(CANARY.replace("canary: {a: 0.3}", "services: [c]"))
    wire = res.phases[1].model_dump(by_alias=True)
    assert "canary" not in wire and "denials" not in wire and "proxyCostPerMonth" not in wire
    assert "meshed" not in wire["services"]["a"]


def test_canary_caller_applies_mesh_policy_from_its_meshed_replicas_only() -> None:
    body = """\
    services:
      - {name: c, replicas: 2, concurrencyModel: async, concurrency: 100000, serviceTime: 0ms,
         calls: [{to: a}]}
      - {name: a, concurrency: 100000, serviceTime: 0ms}
    entrypoints: [{name: web, service: c, rate: 100/s, arrival: constant}]
    rollout: {phases: [{name: p, services: [a], canary: {c: 0.5}}]}
    """
    phase = results(body).phases[1]
    c = phase.services["c"]
    assert c.meshed is not None and c.plain is not None
    assert (c.meshed.replicas, c.plain.replicas) == (1, 1)
    # 1 sidecar on c (ceil(0.5 × 2)) + 1 on a
    assert phase.proxies == 2
    # calls c → a leave through a sidecar exactly when they start on c's meshed replica
    edge = next(e for e in phase.edges if (e.from_, e.to) == ("c", "a"))
    assert edge.policy is True
    assert phase.policy_coverage == pytest.approx(
        c.meshed.attempts / (c.calls + phase.services["a"].calls), abs=1e-12
    )
    assert edge.mtls == pytest.approx(c.meshed.attempts / edge.attempts, abs=1e-12)


def test_canary_share_rounding() -> None:
    # ceil(share × replicas), at least one: 0.01 of 3 replicas is still one sidecar
    body = CANARY.replace("replicas: 4", "replicas: 3").replace("a: 0.3", "a: 0.01")
    assert results(body).phases[1].proxies == 1
