"""Capacity by operational analysis, without simulation (SPEC §18).

For a scenario at its entry rates this computes, per service:

* ``visits``: expected executions per entry request (the forced-flow law: the
  visits of a callee are the sum over its callers of visits × probability × count;
  parallel groups and optional calls are visits like any other, mesh retries are
  not counted), entrypoints mixed by their rates;
* ``rps``: offered load, X_s = V_s × Σ entry rates;
* ``utilization``: ρ = X_s × E[serviceTime] / (replicas × concurrency) (the
  utilization law, U = X·S, shared over every worker of every replica);
* ``hold_ms``: the time one request holds a worker with nothing queued: its own
  time under ``async``, and under ``threads`` (the worker waits for the calls,
  SPEC §10.3) also the expected time of its calls, a parallel group counting as its
  slowest member's mean (a lower bound of the group's mean);
* ``occupancy``: X_s × hold / (replicas × concurrency), the share of workers
  busy, waits included (what the simulator reports as ``utilization`` under
  ``threads``). It equals ``utilization`` for ``async`` services.

and for the whole the bottleneck (largest ρ) and ``max_rate_multiplier`` = 1 / max ρ,
the factor every entry rate can grow by before some ρ reaches 1.

Assumptions, as for the other analytic figures of :mod:`meshsim.rollout.graph`:
nothing fails (a failed request or required call would end the script early, so
the figures are an upper bound of the work), call trees are cut at
``simulation.maxDepth``, faults and load shapes are not counted (the ``rate`` of an
entrypoint is used), and proxy latency is not part of the hold time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from meshsim.rollout.graph import CallTable
from models import Scenario
from models.services import ParallelGroup

__all__ = [
    "OVERLOAD_UTILIZATION",
    "Capacity",
    "ServiceCapacity",
    "capacity",
    "depth_needed",
    "chains_of",
    "offered_load",
    "overload_warnings",
    "utilizations",
]

OVERLOAD_UTILIZATION = 0.9
"""``validate``, ``run`` and ``import`` warn about services at ρ at least this (SPEC §18)."""


@dataclass(frozen=True)
class ServiceCapacity:
    """Operational figures of one service at the scenario's entry rates."""

    visits: float
    rps: float
    utilization: float
    hold_ms: float
    occupancy: float
    workers: int


@dataclass(frozen=True)
class Capacity:
    """Per-service figures, the bottleneck and the headroom factor.

    Attributes
    ----------
    services : dict of str to ServiceCapacity
        In document order.
    bottleneck : str or None
        The service with the largest utilization (None when no service does work).
    max_rate_multiplier : float or None
        1 / the largest utilization: how much every entry rate can grow before the
        bottleneck is saturated (None when no service does work).
    """

    services: dict[str, ServiceCapacity]
    bottleneck: str | None
    max_rate_multiplier: float | None

    def overloaded(self, threshold: float = OVERLOAD_UTILIZATION) -> list[tuple[str, float]]:
        """Services with ρ ≥ ``threshold`` as (name, ρ), the most loaded first."""
        hot = [(n, c.utilization) for n, c in self.services.items() if c.utilization >= threshold]
        return sorted(hot, key=lambda pair: -pair[1])

    def to_json(self) -> dict[str, object]:
        """The JSON document of ``meshsim capacity --json`` (SPEC §18, plus hold and occupancy)."""
        return {
            "services": {
                name: {
                    "visits": c.visits,
                    "rps": c.rps,
                    "utilization": c.utilization,
                    "holdMs": c.hold_ms,
                    "occupancy": c.occupancy,
                    "workers": c.workers,
                }
                for name, c in self.services.items()
            },
            "bottleneck": self.bottleneck,
            "maxRateMultiplier": self.max_rate_multiplier,
        }


def capacity(scenario: Scenario) -> Capacity:
    """Visits, offered load and utilization of every service (SPEC §18).

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [
    ...         {"name": "a", "serviceTime": "2ms", "calls": [{"to": "b", "count": 3}]},
    ...         {"name": "b", "serviceTime": "10ms", "replicas": 2, "concurrency": 4}],
    ...     "entrypoints": [{"name": "web", "service": "a", "rate": 100}]})
    >>> cap = capacity(s)
    >>> cap.services["b"].rps, round(cap.services["b"].utilization, 6), cap.bottleneck
    (300.0, 0.375, 'b')
    >>> round(cap.max_rate_multiplier, 6)
    2.666667
    """
    table = CallTable.from_scenario(scenario)
    total_rate = sum(e.rate for e in scenario.entrypoints)
    visits = table.expected_visits()
    hold_s = _hold_times(scenario)
    out: dict[str, ServiceCapacity] = {}
    for i, service in enumerate(scenario.services):
        workers = service.replicas * service.concurrency
        rps = float(visits[i]) * total_rate
        own = service.service_time.mean
        hold = own if service.concurrency_model == "async" else hold_s[i]
        out[service.name] = ServiceCapacity(
            visits=float(visits[i]),
            rps=rps,
            utilization=rps * own / workers,
            hold_ms=hold * 1000,
            occupancy=rps * hold / workers,
            workers=workers,
        )
    busiest = max(out, key=lambda n: out[n].utilization, default=None)
    if busiest is None or out[busiest].utilization <= 0:
        return Capacity(out, None, None)
    return Capacity(out, busiest, 1.0 / out[busiest].utilization)


def utilizations(scenario: Scenario) -> dict[str, float]:
    """ρ of every service, as :func:`capacity` computes it, without the hold times.

    The visits are one linear solve (milliseconds at 1,000 services); the hold times'
    fixed point is what makes :func:`capacity` slow on deep graphs, and ρ does not
    need it (the app colours nodes by ρ as soon as a scenario opens).
    """
    visits = CallTable.from_scenario(scenario).expected_visits()
    total_rate = sum(e.rate for e in scenario.entrypoints)
    return {
        s.name: float(visits[i]) * total_rate * s.service_time.mean / (s.replicas * s.concurrency)
        for i, s in enumerate(scenario.services)
    }


def offered_load(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """(requests/s, ρ) of every service, as :func:`capacity` computes them.

    Without the hold times, which lint's overload rule does not need.
    """
    visits = CallTable.from_scenario(scenario).expected_visits()
    total_rate = sum(e.rate for e in scenario.entrypoints)
    out = {}
    for i, service in enumerate(scenario.services):
        rps = float(visits[i]) * total_rate
        out[service.name] = (
            rps,
            rps * service.service_time.mean / (service.replicas * service.concurrency),
        )
    return out


def _hold_times(scenario: Scenario) -> np.ndarray:
    """Seconds one execution of each service takes with nothing queued (threads view).

    Fixed-point iteration from the own times, as deep as ``simulation.maxDepth``:
    T(s) = own(s) + Σ_items item time, a call's time being probability × count ×
    (T(callee) + 2 × mean network latency), a parallel group's its largest member's.
    Each round is three array operations over the flattened call items (a round of
    Python loops took 12 ms at 1,238 services, and cycles need ~100 rounds); the
    per-service sums add the items in script order, as a loop would.
    """
    index = {s.name: i for i, s in enumerate(scenario.services)}
    own = np.array([s.service_time.mean for s in scenario.services], dtype=float)
    hop = 2 * scenario.simulation.network_latency.mean
    owner: list[int] = []  # per item: its service
    starts: list[int] = []  # per item: its first member
    callee: list[int] = []  # per member
    weight: list[float] = []
    for i, service in enumerate(scenario.services):
        for item in service.calls:
            owner.append(i)
            starts.append(len(callee))
            for call in item.parallel if isinstance(item, ParallelGroup) else [item]:
                callee.append(index[call.to])
                weight.append(call.probability * call.count)
    if not callee:
        return own
    owners = np.array(owner, dtype=np.intp)
    firsts = np.array(starts, dtype=np.intp)
    callees = np.array(callee, dtype=np.intp)
    weights = np.array(weight, dtype=float)
    n = len(own)
    times = own.copy()
    # vectorised: a 1,238-service graph at maxDepth 200 took 8 s in a Python loop
    for _ in range(scenario.simulation.max_depth - 1):
        items = np.maximum.reduceat(weights * (times[callees] + hop), firsts)
        new = own + np.bincount(owners, weights=items, minlength=n)
        if np.allclose(new, times, rtol=0, atol=1e-12):
            return new
        times = new
    return times


def overload_warnings(scenario: Scenario, threshold: float = OVERLOAD_UTILIZATION) -> list[str]:
    """One line per service with ρ ≥ ``threshold``: ``capacity: X is offered 3.4× ...``."""
    lines = []
    for name, rho in capacity(scenario).overloaded(threshold):
        lines.append(f"capacity: {name} is offered {rho:.2f}× what it can serve")
    return lines


def chains_of(scenario: Scenario, lengths: list[int], *, worst: bool = False) -> list[float]:
    """Probability that an entry request makes a chain of at least d nested calls, per d.

    The engine fails a request whose chain reaches ``simulation.maxDepth`` calls
    (SPEC §4), so ``chains_of(s, [s.simulation.max_depth])`` is the share of requests
    that end in error for depth alone. f_d(u), the chance that one execution of u
    has a chain of at least d calls below it, is 1 for d = 0 and
    1 - Π over u's calls of (1 - p·(1 - (1 - f_{d-1}(callee))^count)) (calls drawn
    independently, nothing fails); entrypoints are mixed by rate, or with ``worst``
    the highest over the entrypoints (a rare entrypoint whose requests all nest deep
    is hidden in the mix: 1,000 requests/s elsewhere dilute it to nothing).

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a", "calls": [{"to": "a", "probability": 0.5}]}],
    ...     "entrypoints": [{"name": "web", "service": "a", "rate": 1}]})
    >>> chains_of(s, [0, 1, 10])  # d self-calls in a row: 0.5 ** d
    [1.0, 0.5, 0.0009765625]
    """
    table = CallTable.from_scenario(scenario)
    n = len(table.names)
    f = np.ones(n)
    out: dict[int, float] = {}
    wanted = set(lengths)
    with np.errstate(divide="ignore"):
        for d in range(max(lengths, default=0) + 1):
            if d:
                item = table.probability * (1.0 - (1.0 - f[table.dst]) ** table.count)
                miss = np.bincount(table.src, weights=np.log1p(-item), minlength=n)
                f = 1.0 - np.exp(miss)
            if d in wanted:
                at_entries = f[table.entry_service]
                out[d] = (
                    float(at_entries.max(initial=0.0))
                    if worst
                    else float(np.dot(table.entry_weight, at_entries))
                )
    return [out[d] for d in lengths]


def depth_needed(
    scenario: Scenario, tolerance: float = 1e-3, cap: int = 256, *, worst: bool = False
) -> int | None:
    """The smallest ``maxDepth`` at which at most ``tolerance`` of requests fail for depth.

    It is at least the scenario's own; None when even ``cap`` fails more (a cycle
    whose calls do not die out). With ``worst``, of every entrypoint's requests.
    """
    start = scenario.simulation.max_depth
    depths = list(range(start, cap + 1))
    for depth, share in zip(depths, chains_of(scenario, depths, worst=worst), strict=True):
        if share <= tolerance:
            return depth
    return None
