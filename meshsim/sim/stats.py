"""Turn what a run recorded into the metrics of SPEC §11, and average replications.

Percentiles use numpy's default linear interpolation between order statistics.
With R >= 2 replications each metric is the mean over replications with a 95%
Student-t confidence half-width ``t(0.975, R-1) · s / sqrt(R)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import NamedTuple

import numpy as np
from pydantic import BaseModel

from meshsim.sim.recorder import Recorder
from meshsim.sim.samples import (
    NO_TRAFFIC,
    EdgeSample,
    EntrySample,
    GroupSample,
    LatencySample,
    PhaseSample,
    ServiceSample,
    numeric_fields,
)
from meshsim.sim.series_mean import mean_series
from models.beyond import HOURS_PER_MONTH
from models.results import (
    EdgeResult,
    EntrypointResult,
    LatencyStats,
    PhaseResult,
    ReplicaGroupResult,
    ServiceResult,
)

__all__ = [
    "Estimate",
    "BASELINE_ERROR_BUDGET",
    "BASELINE_P99_BUDGET",
    "BASELINE_P99_FLOOR_MS",
    "aggregate_phase",
    "ci95",
    "exposure",
    "latency_stats",
    "mean_ci",
    "phase_metrics",
    "slo_verdict",
]

# the metrics whose 95% half-width the results document carries (SPEC §12.1), in its order
_ENTRY_CI = ("success_rate", "good_rate", "throughput_rps")
_PHASE_CI = ("retry_amplification", "exposure", "proxy_cpu_cores")


def latency_stats(samples_s: Sequence[float]) -> LatencySample | None:
    """Mean, p50, p90, p99 and max in milliseconds (None when there are no samples).

    Examples
    --------
    >>> latency_stats([0.001, 0.003]).mean
    2.0
    """
    if not samples_s:
        return None
    arr = np.asarray(samples_s, dtype=float) * 1000.0
    p50, p90, p99 = np.percentile(arr, [50, 90, 99])
    return LatencySample(
        mean=float(arr.mean()), p50=float(p50), p90=float(p90), p99=float(p99), max=float(arr.max())
    )


def _t_two_sided(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with ``df`` degrees of freedom, exactly.

    The finite sums of Abramowitz & Stegun 26.7.3 (odd df) and 26.7.4 (even df),
    with theta = atan(t / sqrt(df)).
    """
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 0:
        term, total = 1.0, 1.0
        for k in range(2, df - 1, 2):  # (1·3···(k-1)) / (2·4···k) · cos^k
            term *= cos2 * (k - 1) / k
            total += term
        return sin * total
    if df == 1:
        return 2 * theta / math.pi
    term = math.cos(theta)
    total = term
    for k in range(3, df - 1, 2):  # (2·4···(k-1)) / (1·3···k) · cos^k
        term *= cos2 * (k - 1) / k
        total += term
    return 2 / math.pi * (theta + sin * total)


@cache
def _t975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom.

    Solved by bisection on the exact distribution function (no scipy import: it
    costs every command about 0.4 s for this one number).

    Examples
    --------
    >>> round(_t975(1), 6), round(_t975(9), 6), round(_t975(30), 6)
    (12.706205, 2.262157, 2.042272)
    """
    low, high = 0.0, 64.0 if df > 1 else 1e3
    for _ in range(200):
        mid = (low + high) / 2
        if _t_two_sided(mid, df) < 0.95:
            low = mid
        else:
            high = mid
        if high - low < 1e-13:
            break
    return (low + high) / 2


def ci95(values: Sequence[float]) -> float:
    """95% confidence half-width of the mean of ``values`` (0 for fewer than two)."""
    n = len(values)
    if n < 2:
        return 0.0
    sd = float(np.std(np.asarray(values, dtype=float), ddof=1))
    return float(_t975(n - 1) * sd / math.sqrt(n))


class Estimate(NamedTuple):
    """The values of one metric over replications; its mean and 95% half-width."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        """Mean of the values."""
        return float(sum(self.values) / len(self.values))

    @property
    def ci95(self) -> float:
        """95% Student-t half-width of the mean (0 for one value)."""
        return ci95(self.values)


def mean_ci(samples: Sequence[object | None]) -> dict[str, Estimate]:
    """Every numeric field of ``samples`` (one record per replication) as an :class:`Estimate`.

    ``None`` samples and ``None`` values are skipped; a field with no value is left out.

    Examples
    --------
    >>> from meshsim.sim.samples import LatencySample
    >>> a = LatencySample(mean=1.0, p50=1.0, p90=2.0, p99=3.0, max=4.0)
    >>> b = LatencySample(mean=3.0, p50=1.0, p90=2.0, p99=3.0, max=4.0)
    >>> est = mean_ci([a, None, b])["mean"]
    >>> est.mean, round(est.ci95, 4)
    (2.0, 12.7062)
    """
    present = [s for s in samples if s is not None]
    if not present:
        return {}
    out = {}
    for name in numeric_fields(type(present[0])):
        values = tuple(v for s in present if (v := getattr(s, name)) is not None)
        if values:
            out[name] = Estimate(values)
    return out


def phase_metrics(rec: Recorder) -> PhaseSample:
    """Metrics of one replication of one phase."""
    model = rec.model
    window = model.duration - model.warmup
    entries = {}
    for i, e in enumerate(model.entrypoints):
        n = len(rec.entry_latency[i])
        entries[e.name] = EntrySample(
            requests=n,
            success_rate=rec.entry_ok[i] / n if n else None,
            good_rate=rec.entry_good[i] / n if n else None,
            throughput_rps=rec.entry_ok[i] / window,
            latency=latency_stats(rec.entry_latency[i]),
        )
    services = {}
    for i, s in enumerate(model.services):
        services[s.name] = ServiceSample(
            calls=rec.svc_calls[i],
            attempts=rec.svc_attempts[i],
            retries=max(rec.svc_attempts[i] - rec.svc_calls[i], 0),
            errors=rec.svc_errors[i],
            timeouts=rec.svc_timeouts[i],
            rejected=rec.svc_rejected[i],
            utilization=rec.busy_s[i] / (s.replicas * s.concurrency * window),
            ejections=rec.ejections[i],
            latency=latency_stats(rec.svc_latency[i]),
            **_groups(rec, i),
        )
    n = rec.n
    edges = {}
    attempts = s2s = s2s_mtls = breakages = denials = 0
    for key in sorted(rec.edges):
        client, server = divmod(key, n)
        edge = rec.edges[key]
        tries = edge.attempts
        attempts += tries
        breakages += edge.breakages
        denials += edge.denials
        if client < n:
            s2s += tries
            s2s_mtls += edge.mtls
        edges[(model.client_name(client), model.names[server])] = EdgeSample(
            calls=edge.calls,
            attempts=tries,
            failures=edge.failures,
            mtls=edge.mtls / tries if tries else 0.0,
            policy=edge.policy,
            breakages=edge.breakages,
            denials=edge.denials,
        )
    proxies, cpu, memory = _proxy_cost(rec, window)
    return PhaseSample(
        entrypoints=entries,
        services=services,
        edges=edges,
        retry_amplification=attempts / rec.calls_total if rec.calls_total else 1.0,
        mtls_coverage=s2s_mtls / s2s if s2s else 0.0,
        policy_coverage=rec.calls_policy / rec.calls_total if rec.calls_total else 0.0,
        telemetry_coverage=rec.calls_telemetry / rec.calls_total if rec.calls_total else 0.0,
        proxies=proxies,
        proxy_cpu_cores=cpu,
        proxy_memory_mi_b=memory,
        breakages=breakages,
        touched=rec.touched,
        denials=denials,
        series=rec.series(),
    )


def _groups(rec: Recorder, service: int) -> dict[str, GroupSample]:
    """A canary service's meshed and plain replicas (SPEC §20); {} for any other."""
    flags = rec.plan.replica_meshed[service] if rec.plan.replica_meshed else None
    if flags is None:
        return {}
    counts = rec.groups.get(service, [[0, 0], [0, 0]])
    meshed = sum(flags)
    return {
        "meshed": GroupSample(meshed, counts[0][0], counts[0][1]),
        "plain": GroupSample(len(flags) - meshed, counts[1][0], counts[1][1]),
    }


def _proxy_cost(rec: Recorder, window: float) -> tuple[int, float, float]:
    """(proxies, vCPU, memory MiB) of the proxies running in this phase."""
    model, plan = rec.model, rec.plan
    profile = model.profile
    n = rec.n
    gateway = plan.gateway_meshed and any(e.gateway for e in model.entrypoints)
    gateway_rps = sum(rec.client_trav[n:]) / window
    envoy = profile.waypoint
    cpu = gateway_rps * envoy.cpu_per_1k_rps / 1000.0
    data_rps = sum(rec.client_trav[:n]) / window + sum(rec.server_trav) / window
    cpu += data_rps * profile.proxy.cpu_per_1k_rps / 1000.0
    memory = envoy.memory_mib if gateway else 0.0
    proxies = 1 if gateway else 0
    if profile.ambient:
        waypoints = sum(plan.waypoint)
        cpu += sum(rec.waypoint_trav) / window * envoy.cpu_per_1k_rps / 1000.0
        nodes = model.nodes if any(plan.meshed) else 0
        proxies += nodes + waypoints
        memory += nodes * profile.proxy.memory_mib + waypoints * envoy.memory_mib
    else:
        # one sidecar per meshed replica (a canary meshes only some, SPEC §20)
        sidecars = sum(
            plan.smeshed(i, r) for i, s in enumerate(model.services) for r in range(s.replicas)
        )
        proxies += sidecars
        memory += sidecars * profile.proxy.memory_mib
    return proxies, cpu, memory


def exposure(touched: Sequence[int], onboarded_mask: int) -> float:
    """Share of requests whose call tree addressed a service in ``onboarded_mask`` (§11.3)."""
    if not touched or not onboarded_mask:
        return 0.0
    return sum(1 for mask in touched if mask & onboarded_mask) / len(touched)


def _means(estimates: dict[str, Estimate]) -> dict[str, float]:
    return {name: e.mean for name, e in estimates.items()}


def _cis(model: type[BaseModel], estimates: dict[str, Estimate], names: Sequence[str]) -> dict:
    """Half-widths of ``names`` keyed by the result model's wire name."""
    return {model.model_fields[n].alias or n: estimates[n].ci95 for n in names}


BASELINE_P99_BUDGET = 0.20
"""Without a declared SLO a phase's p99 may exceed the baseline's by this share ..."""
BASELINE_P99_FLOOR_MS = 5.0
"""... or by this many ms, whichever is larger (a proxy hop costs about a millisecond)."""
BASELINE_ERROR_BUDGET = 0.01
"""Without a declared SLO a phase's error rate may exceed the baseline's by one point."""
MIN_JUDGED_REQUESTS = 20
"""Without a declared SLO, an entrypoint is judged against the baseline only when the
phase and the baseline each measured at least this many of its requests (over all
replications): the p99 of a handful is its maximum, and one slow request would count
as a regression (SPEC §13: a sample of one never becomes a certainty)."""


def slo_verdict(
    p99_ms: float | None,
    success_rate: float,
    slo: tuple[float | None, float | None],
    baseline: EntrypointResult | None,
    replications: int = 1,
    requests: float | None = None,
) -> bool | None:
    """``sloMet`` of an entrypoint in a phase (SPEC §11.1; docs/model.md "SLOs").

    A declared SLO (``slo`` = (latencyP99 in s, errorRate), either may be None) is
    judged on the fields it declares. Without one the phase is judged against the
    baseline ``baseline``: p99 at most ``max(+20%, +5 ms)`` over the baseline's and
    the error rate at most one point over the baseline's. None when no SLO applies:
    none declared and no baseline (the baseline itself, or a run without phase 0), or
    fewer than :data:`MIN_JUDGED_REQUESTS` measured requests in the phase (``requests``
    a replication, on average, over ``replications``) or in the baseline.

    >>> slo_verdict(120.0, 1.0, (0.1, None), None)
    False
    >>> slo_verdict(120.0, 0.0, (None, None), None) is None
    True
    """
    latency_slo, error_slo = slo
    p99 = p99_ms or 0.0
    error = 1.0 - success_rate
    if latency_slo is not None or error_slo is not None:
        return (latency_slo is None or p99 <= latency_slo * 1000.0) and (
            error_slo is None or error <= error_slo + 1e-12
        )
    if baseline is None:
        return None
    if requests is not None and min(requests, baseline.requests) * replications < (
        MIN_JUDGED_REQUESTS - 1e-9
    ):
        return None
    base_p99 = baseline.latency_ms.p99 or 0.0
    budget = max(base_p99 * BASELINE_P99_BUDGET, BASELINE_P99_FLOOR_MS)
    base_error = 1.0 - baseline.success_rate
    return p99 <= base_p99 + budget + 1e-9 and error <= base_error + BASELINE_ERROR_BUDGET + 1e-12


def _entry(
    reps: list[EntrySample],
    slo: tuple[float | None, float | None],
    many: bool,
    baseline: EntrypointResult | None = None,
) -> EntrypointResult:
    est = mean_ci(reps)
    for rate in ("success_rate", "good_rate"):
        # Rates are averaged over the replications that measured a request (an empty one
        # counted as 0% made an entrypoint at 0.005/s look like the worst of a graph);
        # with none at all no request failed: 1, and its p99 is None.
        est.setdefault(rate, Estimate((1.0,)))
    latency = mean_ci([r.latency for r in reps])
    stats = LatencyStats(**_means(latency))
    slo_met = slo_verdict(
        stats.p99, est["success_rate"].mean, slo, baseline, len(reps), est["requests"].mean
    )
    cis = {}
    if many:
        prefix = EntrypointResult.model_fields["latency_ms"].alias
        cis = {f"{prefix}.{k}": e.ci95 for k, e in latency.items()}
        cis.update(_cis(EntrypointResult, est, _ENTRY_CI))
    return EntrypointResult(**_means(est), slo_met=slo_met, latency_ms=stats, ci95=cis)


def _service(reps: list[ServiceSample]) -> ServiceResult:
    latency = LatencyStats(**_means(mean_ci([r.latency for r in reps])))
    split = {}
    for group in ("meshed", "plain"):
        samples = [getattr(r, group) for r in reps]
        if samples[0] is not None:
            split[group] = ReplicaGroupResult(**_means(mean_ci(samples)))
    return ServiceResult(**_means(mean_ci(reps)), latency_ms=latency, **split)


def _edge(key: tuple[str, str], reps: list[EdgeSample], authz: bool) -> EdgeResult:
    """One edge over replications; ``reps`` holds :data:`NO_TRAFFIC` where it had none."""
    policy = any(r.policy for r in reps)
    means = _means(mean_ci(reps))
    if not authz:
        means.pop("denials", None)
    return EdgeResult(from_=key[0], to=key[1], policy=policy, **means)


def proxy_cost_per_month(cpu_cores: float, memory_mib: float, cost: tuple[float, float]) -> float:
    """(proxyCpuCores × vcpuHour + proxyMemoryMiB / 1024 × gibHour) × 730 (SPEC §20).

    Examples
    --------
    >>> round(proxy_cost_per_month(0.5, 2048.0, (0.04, 0.005)), 6)
    21.9
    """
    vcpu_hour, gib_hour = cost
    return (cpu_cores * vcpu_hour + memory_mib / 1024.0 * gib_hour) * HOURS_PER_MONTH


def aggregate_phase(
    reps: Sequence[PhaseSample],
    *,
    index: int,
    name: str,
    meshed: list[str],
    onboarded: list[str],
    slos: dict[str, tuple[float | None, float | None]],
    onboarded_mask: int = 0,
    baseline: PhaseResult | None = None,
    authz: bool = False,
    canary: dict[str, float] | None = None,
    cost: tuple[float, float] | None = None,
) -> PhaseResult:
    """Average per-replication samples into one :class:`PhaseResult` with CIs.

    Every numeric field of the samples is averaged (:func:`mean_ci`); the 95%
    half-widths the document reports are those of SPEC §12.1. ``baseline`` (phase 0's
    result) judges the entrypoints without a declared SLO (:func:`slo_verdict`).
    SPEC §20: ``authz`` (an AuthorizationPolicy is in force) adds ``denials``,
    ``canary`` the canary shares, ``cost`` (vcpuHour, gibHour) ``proxyCostPerMonth``.
    """
    many = len(reps) > 1
    base = baseline.entrypoints if baseline is not None else {}
    entries = {
        e: _entry([r.entrypoints[e] for r in reps], slos[e], many, base.get(e))
        for e in reps[0].entrypoints
    }
    services = {s: _service([r.services[s] for r in reps]) for s in reps[0].services}
    keys = sorted({k for r in reps for k in r.edges})
    edges = [_edge(k, [r.edges.get(k, NO_TRAFFIC) for r in reps], authz) for k in keys]
    est = mean_ci(reps)
    est["exposure"] = Estimate(tuple(exposure(r.touched, onboarded_mask) for r in reps))
    means = _means(est)
    if not authz:
        means.pop("denials", None)
    if cost is not None:
        means["proxy_cost_per_month"] = proxy_cost_per_month(
            means["proxy_cpu_cores"], means["proxy_memory_mi_b"], cost
        )
    return PhaseResult(
        index=index,
        name=name,
        meshed=meshed,
        onboarded=onboarded,
        entrypoints=entries,
        services=services,
        edges=edges,
        ci95=_cis(PhaseResult, est, _PHASE_CI) if many else {},
        canary=canary or None,
        series=mean_series([r.series for r in reps]),
        **means,
    )
