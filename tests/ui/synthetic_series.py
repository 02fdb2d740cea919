"""Synthetic time series (SPEC §14 JSON) of a scenario, for replay tests and benchmarks.

Not a simulation: a deterministic sketch of what the engine's series look like, so the
replay can be drawn, measured and looked at before (and without) running the engine.
Traffic flows down the call graph (calls × count × probability); during a fault
window a failing callee makes its meshed callers try ``1 + mesh.defaults.retries``
times, so tries multiply down a chain (27 at the leaf of the retry storm); callers
above a failing service fill their workers and queues, which drain a few seconds
after the fault ends. Poisson noise comes from a seeded generator.
"""

from __future__ import annotations

import numpy as np

from meshsim import phase_state
from models import Scenario
from models.results import PhaseResult, Results

__all__ = ["synthetic_results", "synthetic_run", "synthetic_series", "tree_scenario"]


def _order(scenario: Scenario) -> list[str]:
    """Services from the entrypoints down (breadth first; a cycle is cut)."""
    calls = {s.name: [c.to for c in s.iter_calls()] for s in scenario.services}
    order: list[str] = []
    queue = [e.service for e in scenario.entrypoints]
    while queue:
        name = queue.pop(0)
        if name in order:
            continue
        order.append(name)
        queue.extend(c for c in calls[name] if c not in order)
    return order + [s.name for s in scenario.services if s.name not in order]


def _effect(t: np.ndarray, start: float, end: float, drain_s: float) -> np.ndarray:
    """0..1: how strongly a fault acts in each bucket (rises fast, drains in ``drain_s``)."""
    rise = np.where(t >= start, 1.0 - np.exp(-(t - start + 1.0) / 1.0), 0.0)
    after = np.where(t >= end, np.exp(-(t - end) / max(drain_s, 1e-3)), 1.0)
    return np.clip(rise * after, 0.0, 1.0)


def _pressure(t: np.ndarray, held: np.ndarray, drain_s: float, bucket_s: float) -> np.ndarray:
    """How full a service's workers are because calls below it fail (0..1)."""
    if not held.any():
        return np.zeros_like(t)
    hit = np.flatnonzero(held)
    start, end = t[hit[0]], t[hit[-1]] + bucket_s
    return float(held.max()) * _effect(t, start, end, drain_s)


def synthetic_series(scenario: Scenario, phase: int, *, bucket_s: float = 1.0, seed: int = 1):
    """The ``series`` of ``phase`` (0 = baseline) as the results document would carry it."""
    rng = np.random.default_rng(seed + 7919 * phase)
    t = np.arange(0.0, scenario.simulation.duration, bucket_s)
    size = len(t)
    state = phase_state(scenario, phase)
    retries = scenario.mesh.defaults.retries
    extra_tries = retries.attempts if retries is not None else 0
    services = {s.name: s for s in scenario.services}
    failing = {n: np.zeros(size) for n in services}
    outage = {n: np.zeros(size) for n in services}
    for fault in scenario.faults:
        end = (
            scenario.simulation.duration if fault.duration is None else fault.start + fault.duration
        )
        share = 1.0 if fault.type in ("outage", "crash") else float(fault.error_rate or 0.3)
        outage[fault.service] = np.maximum(
            outage[fault.service], share * ((t >= fault.start) & (t < end))
        )
    order = _order(scenario)
    for name in reversed(order):  # a service fails when a mandatory callee does
        own = outage[name]
        below = [failing[c.to] for c in services[name].iter_calls() if not c.optional]
        failing[name] = np.max([own, *below], axis=0)
    arrivals = {n: np.zeros(size) for n in services}
    edges = []
    for entry in scenario.entrypoints:
        requests = rng.poisson(entry.rate * bucket_s, size).astype(float)
        arrivals[entry.service] += requests
        edges.append(
            (entry.name, entry.service, requests, requests, requests * failing[entry.service])
        )
    for name in order:
        meshed = name in state.meshed
        for call in services[name].iter_calls():
            calls = arrivals[name] * call.count * call.probability
            fails = failing[call.to]
            tries = 1.0 + (extra_tries * fails if meshed and call.to in state.meshed else 0.0)
            attempts = calls * tries
            arrivals[call.to] += attempts
            edges.append((name, call.to, calls, attempts, calls * fails))
    storm = extra_tries > 0 and phase > 0
    drain = 6.0 if storm else 0.5
    service_rows = {}
    for name, service in services.items():
        mean_s = 0.004
        capacity = service.replicas * service.concurrency / mean_s * bucket_s
        base = np.clip(arrivals[name] / capacity, 0.0, 1.0)
        pressure = _pressure(t, failing[name] * (1.0 - outage[name]), drain, bucket_s)
        busy = np.clip(base + 0.95 * pressure, 0.0, 1.0) * (1.0 - outage[name])
        limit = service.queue_limit or 100
        queued = limit * pressure**2 * (1.0 if storm else 0.05)
        ejected = np.round(outage[name] * service.replicas) if phase > 0 else np.zeros(size)
        service_rows[name] = {
            "attempts": arrivals[name].tolist(),
            "rejected": (arrivals[name] * 0.3 * (queued >= limit * 0.95)).tolist(),
            "timeouts": np.zeros(size).tolist(),
            "inFlight": (busy * service.replicas * service.concurrency).tolist(),
            "queued": queued.tolist(),
            "utilization": busy.tolist(),
            "ejected": ejected.tolist(),
        }
    entry_rows = {}
    for entry in scenario.entrypoints:
        requests = next(e[2] for e in edges if e[0] == entry.name)
        bad = failing[entry.service]
        pressure = np.asarray(service_rows[entry.service]["utilization"])
        p99 = 12.0 + (3000.0 * pressure**4 if storm else 5.0 * bad)
        entry_rows[entry.name] = {
            "requests": requests.tolist(),
            "ok": (requests * (1.0 - bad)).tolist(),
            "failed": (requests * bad).tolist(),
            "p50Ms": (p99 / 4).tolist(),
            "p99Ms": p99.tolist(),
        }
    return {
        "bucketS": bucket_s,
        "t": t.tolist(),
        "entrypoints": entry_rows,
        "services": service_rows,
        "edges": [
            {
                "from": a,
                "to": b,
                "calls": c.tolist(),
                "attempts": n.tolist(),
                "failures": f.tolist(),
            }
            for a, b, c, n, f in edges
        ],
    }


def synthetic_results(scenario: Scenario) -> list[tuple[str, dict]]:
    """(phase name, series) of the baseline and every phase of the written plan."""
    names = ["baseline"] + [p.name for p in scenario.rollout.phases]
    return [(name, synthetic_series(scenario, i)) for i, name in enumerate(names)]


def synthetic_run(scenario: Scenario) -> Results:
    """A results document whose phases carry only synthetic series (figures all zero)."""
    phases = []
    for index, (name, series) in enumerate(synthetic_results(scenario)):
        phase = PhaseResult(
            index=index, name=name, meshed=[], onboarded=[], entrypoints={}, services={},
            edges=[], retry_amplification=1.0, mtls_coverage=0.0, policy_coverage=0.0,
            telemetry_coverage=0.0, proxies=0, proxy_cpu_cores=0.0, proxy_memory_mi_b=0.0,
            exposure=0.0,
        )  # fmt: skip
        # ``series`` is SPEC §14's field; until PhaseResult declares it, attach it.
        phases.append(phase.model_copy(update={"series": series}))
    return Results(
        meshsim_version="synthetic", scenario=scenario.metadata.name, seed=1, replications=1,
        duration_s=scenario.simulation.duration, warmup_s=scenario.simulation.warmup,
        phases=phases,
    )  # fmt: skip


def tree_scenario(services: int, shape: str = "tree") -> Scenario:
    """A graph of ``services`` services with a 10 s outage in the middle of a 60 s run.

    ``tree``: each service calls four below it. ``star``: s0 calls every other one, so
    every arrow crosses the view (the worst case for drawing).
    """
    rows = [{"name": f"s{i}", "serviceTime": "1ms", "calls": []} for i in range(services)]
    for i in range(1, services):
        parent = 0 if shape == "star" else (i - 1) // 4
        rows[parent]["calls"].append({"to": f"s{i}", "probability": 0.5})
    return Scenario.model_validate(
        {
            "metadata": {"name": f"{shape}-{services}"},
            "services": rows,
            "entrypoints": [{"name": "web", "service": "s0", "rate": "200/s"}],
            "rollout": {"phases": [{"name": "all", "services": [r["name"] for r in rows]}]},
            "faults": [
                {
                    "service": f"s{services // 2}",
                    "type": "outage",
                    "start": "20s",
                    "duration": "10s",
                }
            ],  # fmt: skip
            "simulation": {"duration": "60s", "warmup": "5s", "replications": 1, "seed": 1},
        }
    )
