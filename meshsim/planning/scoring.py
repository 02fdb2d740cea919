"""The ordering score (SPEC §11.5, revised) and the ranking of orderings.

The score is a sum of points (higher is better); docs/planning.md explains each term
with a worked example so a ranking can be defended. Every term is a "goodness" in
[0, 1] times its weight (:data:`WEIGHTS`, overridable with ``rollout.scoreWeights``):

==================  ======  ==========================================================
term                points  goodness
==================  ======  ==========================================================
mtlsAuc             15      mean mtlsCoverage over phases 1..K
sensitiveMtlsAuc    10      the same over edges into ``sensitive`` services
                            (no sensitive service: these points go to mtlsAuc)
pilotExposure       15      1 − exposure of phase 1
meanExposure        10      1 − mean exposure over phases 1..K
endLatency          15      L(phase K), see below
endErrors           10      E(phase K)
endRetries          5       A(phase K)
endProxyCpu         5       C / (C + proxyCpuCores of phase K)
phaseLatency        5       mean of L over phases 1..K
phaseErrors         5       mean of E over phases 1..K
phaseRetries        5       mean of A over phases 1..K
==================  ======  ==========================================================

* L(phase) = min over entrypoints of 1 / (1 + max(0, p99 − baseline p99) / ref), with
  ref the SLO's latencyP99, else the baseline p99 (at least 1 ms);
* E(phase) = min over entrypoints of 1 / (1 + max(0, error rate − baseline error
  rate) / ref), with ref the SLO's errorRate, else 1% (:data:`DEFAULT_ERROR_REF`);
* A(phase) = min(1, baseline retryAmplification / retryAmplification);
* C = the mean end-state proxy CPU of the compared orderings (a yardstick, the same
  for all of them), so less proxy CPU always earns more points.

Every goodness falls strictly as the figure it judges gets worse, and never rises when
it gets better: less proxy CPU, lower p99, fewer errors or retries are never worse.

A term whose goodness is equal for all compared orderings in every replication weighs
nothing (its points are 0 for everyone): it cannot tell plans apart, and counting it
would only inflate the totals. With common random numbers, equal plans measure equal.

The score is computed per replication and averaged, so the difference of two plans
has a paired 95% confidence interval (:func:`paired_delta`). Constraint violations,
STRICT breakages and SLO violations cost no points: :func:`ranking_key` puts every
ordering with any of them after every ordering without.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from meshsim.sim.stats import ci95
from models import SCORE_TERMS, Scenario
from models.results import OrderingResult, OrderingScore, PhaseResult

__all__ = [
    "DEFAULT_ERROR_REF",
    "WEIGHTS",
    "Scorer",
    "constraint_violations",
    "goodness",
    "paired_delta",
    "rank",
    "ranking_key",
    "score_ordering",
    "weights_of",
]

WEIGHTS: Mapping[str, float] = {
    "mtlsAuc": 15.0,
    "sensitiveMtlsAuc": 10.0,
    "pilotExposure": 15.0,
    "meanExposure": 10.0,
    "endLatency": 15.0,
    "endErrors": 10.0,
    "endRetries": 5.0,
    "endProxyCpu": 5.0,
    "phaseLatency": 5.0,
    "phaseErrors": 5.0,
    "phaseRetries": 5.0,
}
"""Default points of each term of the score; they add up to 100."""

DEFAULT_ERROR_REF = 0.01
"""Yardstick of an error-rate increase when the entrypoint's SLO gives no errorRate."""

_EPS = 1e-9


def weights_of(scenario: Scenario) -> dict[str, float]:
    """The weights in force: the defaults, then ``rollout.scoreWeights``.

    When the scenario has no ``sensitive`` service, the sensitiveMtlsAuc points go to
    mtlsAuc (there is no sensitive traffic to judge).
    """
    w = {**WEIGHTS, **scenario.rollout.score_weights}
    if not any(s.sensitive for s in scenario.services):
        w["mtlsAuc"] += w["sensitiveMtlsAuc"]
        w["sensitiveMtlsAuc"] = 0.0
    return w


def _sensitive_coverage(phase: PhaseResult, sensitive: set[str]) -> float:
    edges = [e for e in phase.edges if e.to in sensitive and not e.from_.startswith("@")]
    attempts = sum(e.attempts for e in edges)
    return sum(e.mtls * e.attempts for e in edges) / attempts if attempts else 0.0


def _refs(scenario: Scenario, base: PhaseResult) -> dict[str, tuple[float, float, float, float]]:
    """Per entrypoint: (baseline p99 ms, its yardstick ms, baseline error rate, its yardstick)."""
    out = {}
    for entry in scenario.entrypoints:
        before = base.entrypoints.get(entry.name)
        if before is None:
            continue
        slo = scenario.slo_of(entry)
        p99 = before.latency_ms.p99
        lat_ref = slo.latency_p99 * 1000.0 if slo and slo.latency_p99 else max(p99 or 0.0, 1.0)
        err_ref = slo.error_rate if slo and slo.error_rate else DEFAULT_ERROR_REF
        out[entry.name] = (
            p99 if p99 is not None else 0.0,
            lat_ref,
            1 - before.success_rate,
            err_ref,
        )
    return out


def _latency(phase: PhaseResult, refs: dict) -> float:
    g = 1.0
    for name, (base_p99, ref, _, _) in refs.items():
        after = phase.entrypoints.get(name)
        if after is not None and after.latency_ms.p99 is not None:
            g = min(g, 1.0 / (1.0 + max(0.0, after.latency_ms.p99 - base_p99) / ref))
    return g


def _errors(phase: PhaseResult, refs: dict) -> float:
    g = 1.0
    for name, (_, _, base_err, ref) in refs.items():
        after = phase.entrypoints.get(name)
        if after is not None and after.requests > 0:
            g = min(g, 1.0 / (1.0 + max(0.0, (1.0 - after.success_rate) - base_err) / ref))
    return g


def _retries(phase: PhaseResult, base: PhaseResult) -> float:
    amp = phase.retry_amplification
    return min(1.0, base.retry_amplification / amp) if amp > 0 else 1.0


def goodness(
    scenario: Scenario, phases: Sequence[PhaseResult], cpu_ref: float | None = None
) -> dict[str, float]:
    """The goodness in [0, 1] of every term (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
        For ``sensitive`` services and SLOs.
    phases : sequence of PhaseResult
        Baseline first, then phases 1..K (means, or one replication).
    cpu_ref : float, optional
        The proxy-CPU yardstick C; default the end state's own proxy CPU.

    Raises
    ------
    ValueError
        Without a phase after the baseline.
    """
    base, rollout = phases[0], list(phases[1:])
    if not rollout:
        raise ValueError("an ordering needs at least one phase after the baseline")
    k = len(rollout)
    sensitive = {s.name for s in scenario.services if s.sensitive}
    refs = _refs(scenario, base)
    end = rollout[-1]
    cpu = end.proxy_cpu_cores
    ref = cpu if cpu_ref is None else cpu_ref
    lat = [_latency(p, refs) for p in rollout]
    err = [_errors(p, refs) for p in rollout]
    amp = [_retries(p, base) for p in rollout]
    return {
        "mtlsAuc": sum(p.mtls_coverage for p in rollout) / k,
        "sensitiveMtlsAuc": (
            sum(_sensitive_coverage(p, sensitive) for p in rollout) / k if sensitive else 0.0
        ),
        "pilotExposure": 1.0 - rollout[0].exposure,
        "meanExposure": 1.0 - sum(p.exposure for p in rollout) / k,
        "endLatency": lat[-1],
        "endErrors": err[-1],
        "endRetries": amp[-1],
        "endProxyCpu": ref / (ref + cpu) if ref + cpu > 0 else 1.0,
        "phaseLatency": sum(lat) / k,
        "phaseErrors": sum(err) / k,
        "phaseRetries": sum(amp) / k,
    }


def constraint_violations(scenario: Scenario, phases: Sequence[PhaseResult]) -> list[str]:
    """The ``rollout.constraints`` an ordering breaks, by name (SPEC §11.5).

    ``pilotMaxExposure`` is broken when phase 1's measured exposure is above the limit
    by more than its 95% confidence half-width (a plan is not marked for noise);
    ``first`` and ``last`` when a listed service is not onboarded in phase 1 / the
    final phase; ``maxServicesPerPhase`` when a phase onboards more services.
    """
    c = scenario.rollout.constraints
    rollout = list(phases[1:])
    if not rollout:
        return []
    out = []
    pilot = rollout[0]
    if pilot.exposure - pilot.ci95.get("exposure", 0.0) > c.pilot_max_exposure + _EPS:
        out.append("pilotMaxExposure")
    if c.max_services_per_phase is not None and any(
        len(p.onboarded) > c.max_services_per_phase for p in rollout
    ):
        out.append("maxServicesPerPhase")
    if not set(c.first) <= set(rollout[0].onboarded):
        out.append("first")
    if not set(c.last) <= set(rollout[-1].onboarded):
        out.append("last")
    return out


@dataclass
class Scorer:
    """Scores a set of compared orderings together (the set decides which terms weigh).

    Parameters
    ----------
    scenario : Scenario
        The scenario (weights, SLOs, sensitive services, constraints).
    replicated : mapping of name to list of phase lists
        Per ordering, per replication: baseline first, then phases 1..K, each from that
        replication alone. Replication r must be the same random streams for every
        ordering (common random numbers).
    means : mapping of name to phase list
        Per ordering, the phases averaged over replications (for the figures).
    """

    scenario: Scenario
    replicated: Mapping[str, Sequence[Sequence[PhaseResult]]]
    means: Mapping[str, Sequence[PhaseResult]]
    weights: dict[str, float] = field(init=False)
    active: dict[str, bool] = field(init=False)
    cpu_ref: float = field(init=False)
    points: dict[str, list[dict[str, float]]] = field(init=False)

    def __post_init__(self) -> None:
        self.weights = weights_of(self.scenario)
        ends = [phases[-1].proxy_cpu_cores for phases in self.means.values()]
        self.cpu_ref = sum(ends) / len(ends) if ends else 0.0
        good = {
            name: [goodness(self.scenario, reps, self.cpu_ref) for reps in runs]
            for name, runs in self.replicated.items()
        }
        common = min((len(runs) for runs in good.values()), default=0)
        self.active = {}
        for term in SCORE_TERMS:
            spread = 0.0
            for r in range(common):
                values = [runs[r][term] for runs in good.values()]
                spread = max(spread, max(values) - min(values))
            # a lone ordering has nothing to be compared with: all its terms count
            self.active[term] = self.weights[term] > 0 and (len(good) == 1 or spread > _EPS)
        self.points = {
            name: [
                {t: self.weights[t] * g[t] if self.active[t] else 0.0 for t in SCORE_TERMS}
                for g in runs
            ]
            for name, runs in good.items()
        }

    def effective_weights(self) -> dict[str, float]:
        """The weight of each term in this comparison (0 for a term equal for all)."""
        return {t: self.weights[t] if self.active[t] else 0.0 for t in SCORE_TERMS}

    def scores(self, name: str) -> list[float]:
        """The score of ordering ``name`` in each of its replications."""
        return [sum(p.values()) for p in self.points[name]]

    def score(self, name: str) -> OrderingScore:
        """The score of ordering ``name``: mean over replications, with its figures."""
        runs = self.points[name]
        terms = {t: sum(p[t] for p in runs) / len(runs) for t in SCORE_TERMS}
        return _figures(self.scenario, self.means[name], sum(terms.values()), terms)


def _figures(
    scenario: Scenario, phases: Sequence[PhaseResult], score: float, terms: dict[str, float]
) -> OrderingScore:
    rollout = list(phases[1:])
    base = phases[0]
    k = len(rollout)
    sensitive = {s.name for s in scenario.services if s.sensitive}
    exposures = [p.exposure for p in rollout]
    delta = None
    for entry in scenario.entrypoints:
        before = base.entrypoints.get(entry.name)
        if before is None or before.latency_ms.p99 is None:
            continue
        for phase in rollout:
            after = phase.entrypoints.get(entry.name)
            if after is not None and after.latency_ms.p99 is not None:
                d = after.latency_ms.p99 - before.latency_ms.p99
                delta = d if delta is None else max(delta, d)
    missed = sum(1 for p in rollout for e in p.entrypoints.values() if e.slo_met is False)
    return OrderingScore(
        score=round(score, 6),
        slo_violations=missed,
        # a phase whose AuthorizationPolicy refused calls (403) counts as broken (SPEC §20)
        breakages=sum(1 for p in rollout if p.breakages > 0 or (p.denials or 0) > 0),
        violations=constraint_violations(scenario, phases),
        max_exposure=max(exposures),
        mean_exposure=sum(exposures) / k,
        mtls_auc=sum(p.mtls_coverage for p in rollout) / k,
        sensitive_mtls_auc=(
            sum(_sensitive_coverage(p, sensitive) for p in rollout) / k if sensitive else 0.0
        ),
        peak_proxy_cpu_cores=max(p.proxy_cpu_cores for p in phases),
        p99_delta_ms=delta or 0.0,
        terms={t: round(v, 6) for t, v in terms.items()},
    )


def score_ordering(
    scenario: Scenario,
    phases: Sequence[PhaseResult],
    replicated: Sequence[Sequence[PhaseResult]] | None = None,
) -> OrderingScore:
    """Score one ordering on its own: every term counts (nothing to compare it with).

    ``replicated`` (per replication: baseline first, then phases 1..K) makes the score
    the mean of the replications' scores, as in a comparison; without it the averaged
    ``phases`` are scored as one replication.
    """
    scorer = Scorer(scenario, {"": replicated or [phases]}, {"": phases})
    return scorer.score("")


def paired_delta(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Mean of ``a[r] − b[r]`` over the replications both have, and its 95% half-width.

    The half-width is Student-t over the paired differences (0 with one pair).

    Examples
    --------
    >>> mean, half = paired_delta([10.0, 12.0, 11.0], [11.0, 12.5, 12.5])
    >>> mean, round(half, 4)
    (-1.0, 1.2421)
    """
    n = min(len(a), len(b))
    diffs = [a[r] - b[r] for r in range(n)]
    return sum(diffs) / n, ci95(diffs)


def ranking_key(score: OrderingScore, name: str = "") -> tuple[bool, float, str]:
    """Sort key, best first: clean orderings, then higher score, then name.

    Clean = no constraint violation, no breakage, no SLO violation.
    """
    failing = bool(score.violations) or score.breakages > 0 or score.slo_violations > 0
    return (failing, -score.score, name)


def rank(orderings: Sequence[OrderingResult]) -> list[str]:
    """Names of ``orderings``, best first (hard limits, then score, then name)."""
    return [o.name for o in sorted(orderings, key=lambda o: ranking_key(o.score, o.name))]
