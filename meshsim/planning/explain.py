"""Words for a ranking: what each score term measures and why the winner wins.

Used by ``compare --explain``, the HTML report and the app, so they all say the same.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from models.results import CompareResults, OrderingResult, PhaseResult

__all__ = ["LABELS", "describe", "figure", "verdict"]

LABELS: dict[str, str] = {
    "mtlsAuc": "mTLS AUC",
    "sensitiveMtlsAuc": "sensitive mTLS AUC",
    "pilotExposure": "pilot exposure",
    "meanExposure": "mean exposure",
    "endLatency": "final p99",
    "endErrors": "final errors",
    "endRetries": "final retries",
    "endProxyCpu": "final proxy CPU",
    "phaseLatency": "p99 over phases",
    "phaseErrors": "errors over phases",
    "phaseRetries": "retries over phases",
}
"""Short label of each score term (table headers)."""


def _worst_p99(phase: PhaseResult) -> float:
    values = [e.latency_ms.p99 for e in phase.entrypoints.values() if e.latency_ms.p99 is not None]
    return max(values, default=0.0)


def _worst_errors(phase: PhaseResult) -> float:
    return max((1.0 - e.success_rate for e in phase.entrypoints.values()), default=0.0)


def _mean(phases: Sequence[PhaseResult], f: Callable[[PhaseResult], float]) -> float:
    return sum(f(p) for p in phases) / len(phases)


def figure(term: str, ordering: OrderingResult) -> float:
    """The figure behind ``term`` for ``ordering`` (ms, shares, factors or vCPU)."""
    rollout = ordering.phases[1:]
    end = rollout[-1]
    s = ordering.score
    table: dict[str, Callable[[], float]] = {
        "mtlsAuc": lambda: s.mtls_auc,
        "sensitiveMtlsAuc": lambda: s.sensitive_mtls_auc,
        "pilotExposure": lambda: rollout[0].exposure,
        "meanExposure": lambda: s.mean_exposure,
        "endLatency": lambda: _worst_p99(end),
        "endErrors": lambda: _worst_errors(end),
        "endRetries": lambda: end.retry_amplification,
        "endProxyCpu": lambda: end.proxy_cpu_cores,
        "phaseLatency": lambda: _mean(rollout, _worst_p99),
        "phaseErrors": lambda: _mean(rollout, _worst_errors),
        "phaseRetries": lambda: _mean(rollout, lambda p: p.retry_amplification),
    }
    return table[term]()


def _pair(a: float, b: float, unit: str = "", scale: float = 1.0, decimals: int = 0) -> str:
    """``a`` vs ``b`` with enough decimals (up to 3 more) that they read differently."""
    x, y = a * scale, b * scale
    for d in range(decimals, decimals + 4):
        if f"{x:.{d}f}" != f"{y:.{d}f}":
            break
    return f"{x:.{d}f}{unit} vs {y:.{d}f}{unit}"


def _times(a: float, b: float) -> str:
    return "×" + _pair(a, b, decimals=2).replace(" vs ", " vs ×")


_PHRASES: dict[str, Callable[[float, float], str]] = {
    "mtlsAuc": lambda a, b: f"mTLS AUC {_pair(a, b, '%', 100)}",
    "sensitiveMtlsAuc": lambda a, b: f"sensitive mTLS AUC {_pair(a, b, '%', 100)}",
    "pilotExposure": lambda a, b: f"phase 1 touches {_pair(a, b, '%', 100)} of requests",
    "meanExposure": lambda a, b: f"mean exposure {_pair(a, b, '%', 100)}",
    "endLatency": lambda a, b: f"final phase p99 {_pair(a, b, ' ms')}",
    "endErrors": lambda a, b: f"final phase errors {_pair(a, b, '%', 100, 1)}",
    "endRetries": lambda a, b: f"retry {_times(a, b)}",
    "endProxyCpu": lambda a, b: f"final proxy CPU {_pair(a, b, ' vCPU', decimals=2)}",
    "phaseLatency": lambda a, b: f"p99 over the phases {_pair(a, b, ' ms')}",
    "phaseErrors": lambda a, b: f"errors over the phases {_pair(a, b, '%', 100, 1)}",
    "phaseRetries": lambda a, b: f"retries over the phases {_times(a, b)}",
}


def _points(delta: float, half: float | None) -> str:
    """``+d ± h`` with one decimal, more when the half-width would read as 0.

    Without a half-width (a single replication) only the difference.
    """
    if half is None:
        return f"{delta + 0.0:+.1f} (one replication: no interval)"
    d = 1
    while d < 4 and half > 0 and round(half, d) == 0:
        d += 1
    return f"{delta + 0.0:+.{d}f} ± {half:.{d}f}"


def describe(term: str, winner: OrderingResult, other: OrderingResult) -> str:
    """``term`` in words with both figures, e.g. "final phase p99 74 ms vs 444 ms"."""
    return _PHRASES[term](figure(term, winner), figure(term, other))


def _reasons(winner: OrderingResult, other: OrderingResult) -> list[str]:
    """The terms that earn the winner points over ``other``, in words.

    The end state first (the mesh that stays): its two largest gains of at least 5% of
    the total gain; then the largest other gain when it is at least a quarter of it.
    """
    gains = {
        t: winner.score.terms.get(t, 0.0) - other.score.terms.get(t, 0.0)
        for t in winner.score.terms
    }
    total = sum(g for g in gains.values() if g > 0)
    if total <= 0:
        return []
    ordered = sorted((t for t, g in gains.items() if g > 0), key=lambda t: (-gains[t], t))
    end = [t for t in ordered if t.startswith("end") and gains[t] >= 0.05 * total][:2]
    rest = [t for t in ordered if not t.startswith("end") and gains[t] >= 0.25 * total][:1]
    return [describe(t, winner, other) for t in [*end, *rest]]


def _problems(o: OrderingResult) -> list[str]:
    s = o.score
    out = list(s.violations)
    if s.breakages:
        out.append(f"{s.breakages} phase(s) with STRICT breakages or 403 denials")
    if s.slo_violations:
        out.append(f"{s.slo_violations} SLO miss(es)")
    return out


def _plan_key(o: OrderingResult) -> str:
    """The plan without its phase names: equal keys apply the same changes in the same order."""
    return repr([{k: v for k, v in p.items() if k != "name"} for p in o.plan])


def verdict(scenario: object, results: CompareResults) -> str:
    """One sentence on why the best ordering ranks first (against the runner-up).

    Examples of what it says: "as-written ranks first: final phase p99 74 ms vs 444 ms;
    retry ×1.06 vs ×1.60 (against timeout-only: +2.1 ± 0.4 points over 3 paired
    replications)"; or that the two are not distinguishable; or that the runner-up
    breaks a constraint the winner keeps. Orderings that are the same plan as the best
    (``optimized`` when it is its best seed) are named, not compared.
    """
    del scenario  # the results carry everything; kept for a stable signature
    by_name = {o.name: o for o in results.orderings}
    best = by_name[results.ranking[0]]
    same = [n for n in results.ranking[1:] if _plan_key(by_name[n]) == _plan_key(best)]
    others = [n for n in results.ranking[1:] if n not in same]
    note = f"; {', '.join(same)}: the same plan" if same else ""
    if not others:
        return f"{best.name} ranks first{note}; no other plan was compared."
    other = by_name[others[0]]
    reps = min(results.replications.get(best.name, 0), results.replications.get(other.name, 0))
    delta = -(other.score.delta_vs_best or 0.0)
    half = other.score.delta_ci95 if reps >= 2 else None
    mine, theirs = _problems(best), _problems(other)
    if not mine and theirs:
        return (
            f"{best.name} ranks first: {other.name}, the next, breaks "
            f"{', '.join(theirs)}; {best.name} keeps every limit{note}."
        )
    if other.score.tied_with_best:
        return (
            f"{best.name} and {other.name} are not distinguishable: the score difference "
            f"{_points(delta, half)} points over {reps} paired replications includes 0{note}."
        )
    reasons = _reasons(best, other) or ["a higher score"]
    return (
        f"{best.name} ranks first: {'; '.join(reasons)} (against {other.name}: "
        f"{_points(delta, half)} points over {reps} paired replications{note})."
    )
