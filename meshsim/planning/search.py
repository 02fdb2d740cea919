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
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from meshsim.planning.scoring import combine
from meshsim.planning.strategies import Groups
from meshsim.rollout.graph import CallTable
from models import Scenario

__all__ = ["Estimator", "search"]


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
        return combine(
            mtls_auc=mtls / k,
            sensitive_mtls_auc=sens / k if self.has_sensitive else None,
            mean_exposure=sum(exposures) / k,
            max_exposure=max(exposures),
        )


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
        Up to ``keep`` assignments, best estimate first, that estimate strictly better
        than the best seed; empty when the search found nothing better.
    """
    est = estimator or Estimator(scenario)
    seen: dict[tuple[tuple[str, ...], ...], float] = {}
    beam: list[tuple[float, tuple[tuple[str, ...], ...], Groups]] = []
    for seed in seeds:
        key = _canonical(seed)
        if key not in seen:
            seen[key] = est.score(seed)
            beam.append((seen[key], key, [list(g) for g in seed]))
    if not beam:
        return []
    seed_keys = set(seen)
    best_seed = max(s for s, _, _ in beam)
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
                seen[key] = est.score(moved)
                pool.append((seen[key], key, moved))
        beam = sorted(pool, key=lambda b: (-b[0], b[1]))[:beam_width]
        if beam[0][0] <= best + 1e-9:
            break
        best = beam[0][0]
    ranked = sorted(
        ((s, k) for k, s in seen.items() if k not in seed_keys and s > best_seed + 1e-9),
        key=lambda b: (-b[0], b[1]),
    )
    return [[list(g) for g in key] for _, key in ranked[:keep]]
