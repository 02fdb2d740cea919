"""How big a run is before it starts: simulated visits, events, memory and time.

Everything here is analytic, from the scenario alone (no simulation):

* **visits per entry request** of a service ``s``: ``V(s) = 1 + Σ count × probability ×
  V(callee)`` over its script, parallel groups included (every call of a group is
  made); cycles (allowed when uncertain) are cut at ``simulation.maxDepth``. Retries are
  not counted: with healthy services they are rare, and in an outage each try that
  fails fast costs less than a successful visit. The estimate is of the expected work.
* **visits of one phase run** = Σ over entrypoints of ``rate × duration × V(entry)``
  (``rate`` the mean of its ``load`` over the run when it has one);
  the measurement window (``duration − warmup``) is what the run keeps in memory (the
  latency of every measured visit and request, as floats in lists).
* **memory of one phase run** = bytes per measured visit and request (+ one bit per
  service per request for exposure), per replica (its worker pool and the clients' view
  of it), per service, and the backlog of services whose own work alone already exceeds
  their capacity (their queues grow for the whole run when ``queueLimit`` is none).
* **peak memory** = the runs that are simulated at the same time (one per worker
  process) times that, plus each process's own footprint.

The constants are measured (``tracemalloc`` on this engine, rounded up); they are
meant to tell a run that fits from one that cannot fit by a wide margin, not to
predict the last megabyte. ``benchmarks/engine.py`` gives the visit rate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from meshsim.sim.load import mean_rate
from models import ParallelGroup, Scenario

__all__ = ["RunEstimate", "available_memory", "estimate_run", "fits_in_memory"]

BYTES_PER_VISIT = 72
"""One measured visit: its latency float in a list, counters (measured: ~56 B)."""
BYTES_PER_REQUEST = 96
"""One measured entry request: its latency and outcome, plus the exposure bit mask."""
BYTES_PER_REPLICA = 1_500
"""One replica: its worker pool, outlier state and the clients' view of it (~1 kB)."""
BYTES_PER_SERVICE = 32_000
"""One service: compiled script, counters, per-edge records (~25 kB)."""
BYTES_PER_QUEUED = 1_200
"""One request waiting in an overloaded replica's queue (process, events, record)."""
PROCESS_BYTES = 150 * 2**20
"""One Python process with meshsim, SimPy and numpy imported."""
VISITS_PER_SECOND = 25_000
"""Visits one core simulates per second, a little under what it does on a busy machine.

benchmarks/engine.py: 30,000-55,000 on Online Boutique's last phase and on the
1,000-service graphs on the shared 2-core machine. At 10,000 the app said "~6 min" for
a run that took 64 s, and a user may cancel or skip a run the estimate makes look long.
"""
EVENTS_PER_VISIT = 6
"""SimPy events per visit (arrival, worker, service time, proxy hops, reply)."""


@dataclass(frozen=True)
class RunEstimate:
    """The size of a run: what it simulates and what it needs."""

    runs: int
    """Phase runs (phase × replication × plan) the run simulates."""
    requests: float
    """Entry requests simulated, over all runs."""
    visits: float
    """Service visits simulated (retries not counted), over all runs."""
    events: float
    """SimPy events, roughly (``visits × EVENTS_PER_VISIT``)."""
    visits_per_request: dict[str, float]
    """Visits one request of each entrypoint causes."""
    run_bytes: float
    """Peak memory of one phase run."""
    peak_bytes: float
    """Peak memory of the whole run: the concurrent phase runs and their processes."""
    concurrent: int
    """Phase runs simulated at the same time (worker processes used)."""
    seconds: float
    """Wall-clock seconds, roughly, at this many workers."""

    def summary(self) -> str:
        """One line: visits, runs, memory and time."""
        return (
            f"about {self.visits:,.0f} service visits in {self.runs} phase run(s), "
            f"{_size(self.peak_bytes)} of memory at the peak "
            f"({self.concurrent} at once, {_size(self.run_bytes)} each), "
            f"{_duration(self.seconds)}"
        )


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit in ("B", "KiB") else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"~{max(seconds, 1):.0f} s"
    if seconds < 5400:
        return f"~{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"~{seconds / 3600:.1f} h"
    return f"~{seconds / 86400:,.0f} days"


def visits_per_request(scenario: Scenario) -> dict[str, float]:
    """Expected visits one request into each service causes (itself included).

    ``V = 1 + M V`` where ``M[s, t]`` is the expected calls from ``s`` to ``t`` per
    visit (count × probability, summed over the script, parallel groups included).
    Calls may form cycles when each has a probability < 1 (SPEC §4): the equation is
    solved by iterating it once per nesting level, at most ``simulation.maxDepth``
    times, which is also where the engine ends such a request.

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [
    ...         {"name": "a", "calls": [{"parallel": [{"to": "b"}, {"to": "c", "count": 2}]},
    ...                                 {"to": "c", "probability": 0.5}]},
    ...         {"name": "b", "calls": [{"to": "c", "count": 3}]},
    ...         {"name": "c", "calls": [{"to": "a", "probability": 0.1}]}],
    ...     "entrypoints": [{"name": "w", "service": "a", "rate": 1}]})
    >>> {k: round(v, 3) for k, v in visits_per_request(s).items()}  # a = 2 + 5.5c, c = 1 + a/10
    {'a': 16.658, 'b': 8.996, 'c': 2.666}

    (Solved exactly: a = 16.667, b = 9, c = 2.667; 32 nesting levels keep 99.95% of it.)
    """
    names, matrix = _call_matrix(scenario)
    visits = np.ones(len(names))
    for _ in range(scenario.simulation.max_depth):
        after = 1.0 + matrix @ visits
        done = np.allclose(after, visits, rtol=1e-12, atol=0.0)
        visits = after
        if done:
            break
    return dict(zip(names, (float(v) for v in visits), strict=True))


def _call_matrix(scenario: Scenario) -> tuple[list[str], np.ndarray]:
    """Service names and ``M[s, t]`` = expected calls from s to t per visit of s."""
    names = [s.name for s in scenario.services]
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((len(names), len(names)))
    for service in scenario.services:
        for item in service.calls:
            for call in item.parallel if isinstance(item, ParallelGroup) else [item]:
                if call.to in index:
                    matrix[index[service.name], index[call.to]] += call.count * call.probability
    return names, matrix


def estimate_run(
    scenario: Scenario,
    *,
    phases: int | None = None,
    replications: int | None = None,
    plans: int = 1,
    workers: int = 1,
) -> RunEstimate:
    """Estimate the size of simulating ``scenario``.

    Parameters
    ----------
    scenario : Scenario
        The scenario (its rates, duration, warm-up, call graph, replicas).
    phases : int, optional
        Phases simulated per plan; default every phase of ``rollout`` plus the baseline.
    replications : int, optional
        Replications of each phase; default ``simulation.replications``.
    plans : int
        Plans simulated (``compare``: the orderings; ``blast``: the outages + 1).
    workers : int
        Worker processes (phase runs at the same time).

    Returns
    -------
    RunEstimate
        Visits, events, memory (one phase run and the peak) and time.

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a", "calls": [{"to": "b"}]}, {"name": "b"}],
    ...     "entrypoints": [{"name": "w", "service": "a", "rate": "100/s"}],
    ...     "simulation": {"duration": "60s", "warmup": "10s", "replications": 2}})
    >>> e = estimate_run(s, phases=1)
    >>> e.runs, e.requests, e.visits
    (2, 12000.0, 24000.0)
    """
    sim = scenario.simulation
    phase_count = len(scenario.rollout.phases) + 1 if phases is None else max(1, phases)
    reps = sim.replications if replications is None else max(1, replications)
    runs = phase_count * reps * max(1, plans)
    per_request = visits_per_request(scenario)
    by_entry = {e.name: per_request.get(e.service, 1.0) for e in scenario.entrypoints}
    # with a load over time (SPEC §14) its mean over the run
    rates = {e.name: mean_rate(e, sim.duration) for e in scenario.entrypoints}
    rate = sum(rates.values())
    visit_rate = sum(rates[e.name] * by_entry[e.name] for e in scenario.entrypoints)
    window = max(sim.duration - sim.warmup, 0.0)
    run_bytes = (
        visit_rate * window * BYTES_PER_VISIT
        + rate * window * (BYTES_PER_REQUEST + len(scenario.services) / 8)
        + sum(s.replicas for s in scenario.services) * BYTES_PER_REPLICA
        + len(scenario.services) * BYTES_PER_SERVICE
        + _backlog(scenario) * BYTES_PER_QUEUED
    )
    concurrent = max(1, min(workers, runs))
    peak = concurrent * (run_bytes + PROCESS_BYTES) + (PROCESS_BYTES if concurrent > 1 else 0)
    visits = visit_rate * sim.duration * runs
    return RunEstimate(
        runs=runs,
        requests=rate * sim.duration * runs,
        visits=visits,
        events=visits * EVENTS_PER_VISIT,
        visits_per_request=by_entry,
        run_bytes=run_bytes,
        peak_bytes=peak,
        concurrent=concurrent,
        seconds=visits / VISITS_PER_SECOND / concurrent,
    )


def _backlog(scenario: Scenario) -> float:
    """Requests left waiting at the end in services whose own work exceeds their capacity.

    Only the service's own work counts towards its load (a lower bound: a thread also
    waits for its callees), so this flags certain overload only.
    """
    services = {s.name: s for s in scenario.services}
    names, matrix = _call_matrix(scenario)
    entry = np.zeros(len(names))
    for e in scenario.entrypoints:
        if e.service in services:
            entry[names.index(e.service)] += e.rate
    flow = entry.copy()
    for _ in range(scenario.simulation.max_depth):  # A = entry + Mᵀ A, level by level
        after = entry + matrix.T @ flow
        done = np.allclose(after, flow, rtol=1e-12, atol=0.0)
        flow = after
        if done:
            break
    arrivals = dict(zip(names, (float(v) for v in flow), strict=True))
    backlog = 0.0
    duration = scenario.simulation.duration
    for name, service in services.items():
        mean = service.service_time.mean
        if mean <= 0:
            continue
        capacity = service.replicas * service.concurrency / mean
        excess = arrivals[name] - capacity
        if excess > 0:
            grown = excess * duration
            if service.queue_limit is not None:
                grown = min(grown, service.queue_limit * service.replicas)
            backlog += grown
    return backlog


def available_memory() -> int | None:
    """Bytes of memory available to a new run (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def fits_in_memory(estimate: RunEstimate, available: int | None = None) -> str | None:
    """None when the run fits, else one line saying why not and what to change.

    ``available`` defaults to :func:`available_memory`; unknown memory never refuses.
    """
    free = available_memory() if available is None else available
    if free is None or estimate.peak_bytes <= free:
        return None
    advice = "lower entrypoint rates, simulation.duration, replicas or replications"
    if estimate.concurrent > 1 and estimate.run_bytes + 2 * PROCESS_BYTES <= free:
        advice = "use fewer --workers (each simulates one phase run at a time), or " + advice
    return (
        f"this run cannot fit in memory: it needs {estimate.summary()}, "
        f"and {_size(free)} is available; {advice}"
    )
