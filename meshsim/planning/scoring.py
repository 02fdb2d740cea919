"""The ordering score (SPEC §11.5) and the ranking of orderings.

The score is out of 100 points (higher is better); docs/planning.md explains each term
so a ranking can be defended. Every term is a "goodness" in [0, 1] times its weight:

=====================  ======  =====================================================
term                   weight  goodness
=====================  ======  =====================================================
mTLS AUC               25      mean mtlsCoverage over phases 1..K
sensitive mTLS AUC     25      the same over edges into ``sensitive`` services
                               (no sensitive service: these 25 points go to mTLS AUC)
mean exposure          20      1 − mean exposure over phases 1..K
max exposure           10      1 − largest exposure of a phase
latency                15      1 − worst p99 increase over the baseline, as a share
                               of the SLO's latencyP99 (else of the baseline p99),
                               clamped to [0, 1], worst entrypoint
proxy CPU              5       1 − (peak proxyCpuCores / last phase's − 1), clamped:
                               a phase that needs more proxy CPU than the finished
                               mesh (retry storms mid-rollout) loses these points
=====================  ======  =====================================================

Then 50 points are taken off per phase with a STRICT breakage and 20 per SLO
violation, and :func:`ranking_key` puts every ordering with a breakage or an SLO
violation after every ordering without one, whatever the points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from models import Scenario
from models.results import OrderingResult, OrderingScore, PhaseResult

__all__ = [
    "PENALTIES",
    "WEIGHTS",
    "breakdown",
    "combine",
    "rank",
    "ranking_key",
    "score_ordering",
]

WEIGHTS: Mapping[str, float] = {
    "mtlsAuc": 25.0,
    "sensitiveMtlsAuc": 25.0,
    "meanExposure": 20.0,
    "maxExposure": 10.0,
    "latency": 15.0,
    "proxyCpu": 5.0,
}
"""Points of each term of the score; they add up to 100."""

PENALTIES: Mapping[str, float] = {"breakage": 50.0, "sloViolation": 20.0}
"""Points taken off per phase with a breakage and per SLO violation."""


def _clamp(x: float) -> float:
    return min(1.0, max(0.0, x))


def combine(
    *,
    mtls_auc: float,
    sensitive_mtls_auc: float | None,
    mean_exposure: float,
    max_exposure: float,
    latency_share: float = 0.0,
    cpu_overshoot: float = 0.0,
    breakages: int = 0,
    slo_violations: int = 0,
) -> float:
    """The score from its terms (see the module docstring).

    ``sensitive_mtls_auc`` is None when the scenario has no sensitive service; its
    points then go to ``mtls_auc``. ``latency_share`` and ``cpu_overshoot`` are the
    raw ratios; they are clamped here.

    Examples
    --------
    >>> combine(mtls_auc=1.0, sensitive_mtls_auc=1.0, mean_exposure=0.0, max_exposure=0.0)
    100.0
    """
    w = WEIGHTS
    if sensitive_mtls_auc is None:
        security = (w["mtlsAuc"] + w["sensitiveMtlsAuc"]) * mtls_auc
    else:
        security = w["mtlsAuc"] * mtls_auc + w["sensitiveMtlsAuc"] * sensitive_mtls_auc
    score = (
        security
        + w["meanExposure"] * (1.0 - mean_exposure)
        + w["maxExposure"] * (1.0 - max_exposure)
        + w["latency"] * (1.0 - _clamp(latency_share))
        + w["proxyCpu"] * (1.0 - _clamp(cpu_overshoot))
    )
    return score - PENALTIES["breakage"] * breakages - PENALTIES["sloViolation"] * slo_violations


def _sensitive_coverage(phase: PhaseResult, sensitive: set[str]) -> float:
    edges = [e for e in phase.edges if e.to in sensitive and not e.from_.startswith("@")]
    attempts = sum(e.attempts for e in edges)
    return sum(e.mtls * e.attempts for e in edges) / attempts if attempts else 0.0


def _latency_terms(scenario: Scenario, phases: Sequence[PhaseResult]) -> tuple[float, float]:
    """(worst p99 increase in ms, worst increase as a share of the reference)."""
    base = phases[0]
    delta_ms, share = 0.0, 0.0
    first = True
    for entry in scenario.entrypoints:
        before = base.entrypoints.get(entry.name)
        if before is None or before.latency_ms.p99 is None:
            continue
        slo = scenario.slo_of(entry)
        ref_ms = slo.latency_p99 * 1000.0 if slo and slo.latency_p99 else before.latency_ms.p99
        for phase in phases[1:]:
            after = phase.entrypoints.get(entry.name)
            if after is None or after.latency_ms.p99 is None:
                continue
            delta = after.latency_ms.p99 - before.latency_ms.p99
            delta_ms = delta if first else max(delta_ms, delta)
            first = False
            share = max(share, delta / ref_ms if ref_ms > 0 else 0.0)
    return delta_ms, share


def _terms(scenario: Scenario, phases: Sequence[PhaseResult]) -> dict[str, float]:
    """The raw values the score is made of (see :func:`score_ordering`)."""
    rollout = list(phases[1:])
    if not rollout:
        raise ValueError("an ordering needs at least one phase after the baseline")
    sensitive = {s.name for s in scenario.services if s.sensitive}
    k = len(rollout)
    exposures = [p.exposure for p in rollout]
    final_cpu = rollout[-1].proxy_cpu_cores
    peak_cpu = max(p.proxy_cpu_cores for p in phases)
    delta_ms, share = _latency_terms(scenario, phases)
    return {
        "mtlsAuc": sum(p.mtls_coverage for p in rollout) / k,
        "sensitiveMtlsAuc": (
            sum(_sensitive_coverage(p, sensitive) for p in rollout) / k if sensitive else 0.0
        ),
        "hasSensitive": float(bool(sensitive)),
        "meanExposure": sum(exposures) / k,
        "maxExposure": max(exposures),
        "breakages": float(sum(1 for p in rollout if p.breakages > 0)),
        "sloViolations": float(
            sum(1 for p in rollout for e in p.entrypoints.values() if not e.slo_met)
        ),
        "peakProxyCpuCores": peak_cpu,
        "cpuOvershoot": peak_cpu / final_cpu - 1.0 if final_cpu > 0 else 0.0,
        "p99DeltaMs": delta_ms,
        "latencyShare": share,
    }


def breakdown(scenario: Scenario, phases: Sequence[PhaseResult]) -> dict[str, float]:
    """Points each term of the score earns (penalties negative); they sum to the score.

    The keys are the terms of :data:`WEIGHTS` plus ``breakage`` and ``sloViolation``.
    """
    t = _terms(scenario, phases)
    w = WEIGHTS
    security = w["mtlsAuc"] + (0.0 if t["hasSensitive"] else w["sensitiveMtlsAuc"])
    return {
        "mtlsAuc": security * t["mtlsAuc"],
        "sensitiveMtlsAuc": w["sensitiveMtlsAuc"] * t["sensitiveMtlsAuc"],
        "meanExposure": w["meanExposure"] * (1.0 - t["meanExposure"]),
        "maxExposure": w["maxExposure"] * (1.0 - t["maxExposure"]),
        "latency": w["latency"] * (1.0 - _clamp(t["latencyShare"])),
        "proxyCpu": w["proxyCpu"] * (1.0 - _clamp(t["cpuOvershoot"])),
        "breakage": -PENALTIES["breakage"] * t["breakages"],
        "sloViolation": -PENALTIES["sloViolation"] * t["sloViolations"],
    }


def score_ordering(scenario: Scenario, phases: Sequence[PhaseResult]) -> OrderingScore:
    """Score one simulated ordering (SPEC §11.5).

    Parameters
    ----------
    scenario : Scenario
        The scenario (for ``sensitive`` services and SLOs).
    phases : sequence of PhaseResult
        Baseline first, then phases 1..K.

    Returns
    -------
    OrderingScore
    """
    t = _terms(scenario, phases)
    score = combine(
        mtls_auc=t["mtlsAuc"],
        sensitive_mtls_auc=t["sensitiveMtlsAuc"] if t["hasSensitive"] else None,
        mean_exposure=t["meanExposure"],
        max_exposure=t["maxExposure"],
        latency_share=t["latencyShare"],
        cpu_overshoot=t["cpuOvershoot"],
        breakages=int(t["breakages"]),
        slo_violations=int(t["sloViolations"]),
    )
    return OrderingScore(
        score=round(score, 6),
        slo_violations=int(t["sloViolations"]),
        breakages=int(t["breakages"]),
        max_exposure=t["maxExposure"],
        mean_exposure=t["meanExposure"],
        mtls_auc=t["mtlsAuc"],
        sensitive_mtls_auc=t["sensitiveMtlsAuc"],
        peak_proxy_cpu_cores=t["peakProxyCpuCores"],
        p99_delta_ms=t["p99DeltaMs"],
    )


def ranking_key(score: OrderingScore, name: str = "") -> tuple[bool, float, str]:
    """Sort key, best first: no breakage nor SLO violation, then higher score, then name."""
    return (score.breakages > 0 or score.slo_violations > 0, -score.score, name)


def rank(orderings: Sequence[OrderingResult]) -> list[str]:
    """Names of ``orderings``, best first (hard constraints, then score)."""
    return [o.name for o in sorted(orderings, key=lambda o: ranking_key(o.score, o.name))]
