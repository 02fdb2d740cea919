"""The ``optimized`` strategy's search: a beam local search over phase assignments.

Simulating a candidate takes seconds, so the search screens candidates with a fast
analytic estimate of the score (:func:`estimate`) and only the best few are then
simulated by :func:`meshsim.planning.compare.compare`, next to the orderings that seeded the
search; the simulated winner among all of them is ``optimized``, so it never scores
worse than a seed.

Moves take one service to the previous or next phase. A move never empties a phase
and never makes a phase larger than both its current size and 1.5× the even share
(rounded up): plans stay phased rather than collapsing into a big bang, which the
score alone would not forbid.

``rollout.constraints`` are hard limits (SPEC §11.5): seeds are first repaired to keep
them (:func:`repair`), the search pays a large penalty for every breach, and only
assignments that keep them all are returned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from meshsim.planning.scoring import weights_of
from meshsim.planning.strategies import Groups
from meshsim.rollout.graph import CallTable
from models import Scenario

__all__ = ["Estimator", "repair", "search"]

_PENALTY = 1000.0
"""Estimated points lost per unit of constraint breach while searching."""


@dataclass(frozen=True)
class _Edges:
    src: np.ndarray
    dst: np.ndarray
    calls: np.ndarray
    sensitive: np.ndarray


class Estimator:
    """Analytic score of an assignment of services to phases (no simulation).

    Exposure per phase is the analytic touch probability of the services it onboards;
    mTLS coverage per phase is the share of expected service-to-service calls whose
    two ends are meshed; sensitive coverage the same over calls into sensitive
    services. Breakages are impossible by construction (STRICT comes only once every
    caller is meshed); latency and proxy CPU are taken as unchanged, so they add a
    constant and do not steer the search.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    """

    def __init__(self, scenario: Scenario) -> None:
        self.table = CallTable.from_scenario(scenario)
        self.names = self.table.names
        index = self.table.index
        sensitive = {s.name for s in scenario.services if s.sensitive}
        self.has_sensitive = bool(sensitive)
        edges = self.table.edge_calls()
        self.edges = _Edges(
            src=np.array([index[a] for a, _ in edges], dtype=np.intp),
            dst=np.array([index[b] for _, b in edges], dtype=np.intp),
            calls=np.array(list(edges.values()), dtype=float),
            sensitive=np.array([b in sensitive for _, b in edges], dtype=bool),
        )
        self._exposure: dict[frozenset[str], float] = {}
        self.evaluations = 0
        self.weights = weights_of(scenario)
        self.constraints = scenario.rollout.constraints

    def exposure(self, group: Sequence[str]) -> float:
        """Analytic exposure of a phase that onboards ``group`` (cached)."""
        key = frozenset(group)
        if key not in self._exposure:
            self._exposure[key] = self.table.touch_probability(key)
        return self._exposure[key]

    def score(self, groups: Groups) -> float:
        """Estimated score of ``groups`` (services per phase, phase 1 first)."""
        self.evaluations += 1
        k = len(groups)
        phase = np.full(len(self.names), math.inf)
        for i, group in enumerate(groups, start=1):
            for name in group:
                phase[self.table.index[name]] = i
        e = self.edges
        secured = np.maximum(phase[e.src], phase[e.dst])
        mtls, sens = 0.0, 0.0
        total, total_sens = e.calls.sum(), e.calls[e.sensitive].sum()
        for i in range(1, k + 1):
            on = secured <= i
            mtls += e.calls[on].sum() / total if total > 0 else 0.0
            if total_sens > 0:
                sens += e.calls[on & e.sensitive].sum() / total_sens
        exposures = [self.exposure(g) for g in groups]
        w = self.weights
        return (
            w["mtlsAuc"] * mtls / k
            + w["sensitiveMtlsAuc"] * (sens / k if self.has_sensitive else 0.0)
            + w["pilotExposure"] * (1.0 - exposures[0])
            + w["meanExposure"] * (1.0 - sum(exposures) / k)
        )

    def breach(self, groups: Groups) -> float:
        """How far ``groups`` is from keeping ``rollout.constraints`` (0 = keeps them all).

        Exposure above the pilot limit, plus one per service of ``first``/``last`` in
        the wrong phase and per service beyond ``maxServicesPerPhase``.
        """
        c = self.constraints
        out = max(0.0, self.exposure(groups[0]) - c.pilot_max_exposure)
        out += sum(1 for n in c.first if n not in groups[0])
        out += sum(1 for n in c.last if n not in groups[-1])
        if c.max_services_per_phase is not None:
            out += sum(max(0, len(g) - c.max_services_per_phase) for g in groups)
        return out

    def objective(self, groups: Groups) -> float:
        """What the search maximises: the estimate, minus a large penalty per breach."""
        return self.score(groups) - _PENALTY * self.breach(groups)


def repair(groups: Groups, est: Estimator) -> Groups:
    """A copy of ``groups`` moved as little as needed to keep ``rollout.constraints``.

    ``first`` services go to phase 1 and ``last`` ones to the final phase; then, while
    phase 1's analytic exposure is above the pilot limit, its most exposed service that
    need not be first moves to phase 2 (a lone one swaps places with the least exposed
    service of a later phase, if that one fits the limit); then every
    phase larger than ``maxServicesPerPhase`` passes its most exposed movable services
    on to the next phase (a new final phase when needed). The result may still break a
    limit no assignment can keep (e.g. every service touches every request).
    """
    c = est.constraints
    out = [list(g) for g in groups]
    if len(out) < 2:
        return out
    first, last = set(c.first), set(c.last)
    for name in first | last:
        for g in out:
            if name in g:
                g.remove(name)
        (out[0] if name in first else out[-1]).append(name)

    def expo(name: str) -> float:
        return est.exposure([name])

    while est.exposure(out[0]) > c.pilot_max_exposure + 1e-12:
        movable = sorted((n for n in out[0] if n not in first), key=lambda n: (-expo(n), n))
        if not movable:
            break
        worst = movable[0]
        if len(out[0]) > 1:
            out[0].remove(worst)
            out[1].append(worst)
            continue
        spare = sorted((n for g in out[1:] for n in g if n not in last), key=lambda n: (expo(n), n))
        if not spare or expo(spare[0]) > c.pilot_max_exposure + 1e-12:
            break
        for g in out[1:]:  # a lone pilot service swaps places with a small one
            if spare[0] in g:
                g[g.index(spare[0])] = worst
        out[0] = [spare[0]]
    cap = c.max_services_per_phase
    if cap is not None:
        i = 0
        while i < len(out):
            pinned = first if i == 0 else set()
            while len(out[i]) > cap:
                movable = sorted(
                    (n for n in out[i] if n not in pinned), key=lambda n: (-expo(n), n)
                )
                if not movable:
                    break
                if i + 1 == len(out):
                    out.append([])
                out[i].remove(movable[0])
                out[i + 1].append(movable[0])
            i += 1
        if len(out) > len(groups):
            for name in last:  # a new final phase: `last` services move on with it
                for g in out[:-1]:
                    if name in g:
                        g.remove(name)
                        out[-1].append(name)
    return [g for g in out if g]


def _canonical(groups: Groups) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(sorted(g)) for g in groups)


def _neighbours(groups: Groups, cap: int) -> list[Groups]:
    out = []
    for i, group in enumerate(groups):
        if len(group) < 2:
            continue
        for j in (i - 1, i + 1):
            if not 0 <= j < len(groups) or len(groups[j]) + 1 > max(cap, len(groups[j])):
                continue
            for name in group:
                moved = [list(g) for g in groups]
                moved[i].remove(name)
                moved[j].append(name)
                out.append(moved)
    return out


def search(
    scenario: Scenario,
    seeds: Sequence[Groups],
    *,
    beam_width: int = 4,
    max_evaluations: int = 5000,
    keep: int = 2,
    estimator: Estimator | None = None,
) -> list[Groups]:
    """Beam local search from ``seeds``; the best ``keep`` assignments that are no seed.

    The search also starts from each seed repaired to keep ``rollout.constraints``
    (:func:`repair`) and maximises :meth:`Estimator.objective`; it returns only
    assignments that keep every constraint.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    seeds : sequence of Groups
        Starting assignments (services per phase; each must cover every service).
    beam_width : int
        Assignments kept between rounds.
    max_evaluations : int
        Budget of analytic evaluations; the search stops when it is spent or when a
        round improves nothing.
    keep : int
        How many candidates to return.

    Returns
    -------
    list of Groups
        Up to ``keep`` assignments, best estimate first, that keep the constraints and
        estimate strictly better than the best seed that keeps them (any, when no
        seed does); empty when the search found nothing better.
    """
    est = estimator or Estimator(scenario)
    seen: dict[tuple[tuple[str, ...], ...], float] = {}
    beam: list[tuple[float, tuple[tuple[str, ...], ...], Groups]] = []
    seed_keys = set()
    for seed in seeds:
        for start in (seed, repair(seed, est)):
            key = _canonical(start)
            if key not in seen:
                seen[key] = est.objective(start)
                beam.append((seen[key], key, [list(g) for g in start]))
        seed_keys.add(_canonical(seed))
    if not beam:
        return []
    feasible_seeds = [seen[k] for k in seed_keys if est.breach([list(g) for g in k]) == 0]
    best_seed = max(feasible_seeds, default=-math.inf)
    beam = sorted(beam, key=lambda b: (-b[0], b[1]))[:beam_width]
    best = beam[0][0]
    while est.evaluations < max_evaluations:
        pool = list(beam)
        for _, _, groups in beam:
            cap = math.ceil(1.5 * sum(map(len, groups)) / len(groups))
            for moved in _neighbours(groups, cap):
                key = _canonical(moved)
                if key in seen:
                    continue
                seen[key] = est.objective(moved)
                pool.append((seen[key], key, moved))
        beam = sorted(pool, key=lambda b: (-b[0], b[1]))[:beam_width]
        if beam[0][0] <= best + 1e-9:
            break
        best = beam[0][0]
    ranked = sorted(
        (
            (s, k)
            for k, s in seen.items()
            if k not in seed_keys and s > best_seed + 1e-9 and est.breach([list(g) for g in k]) == 0
        ),
        key=lambda b: (-b[0], b[1]),
    )
    return [[list(g) for g in key] for _, key in ranked[:keep]]
