"""Turn what a run recorded into the metrics of SPEC §11, and average replications.

Percentiles use numpy's default linear interpolation between order statistics.
With R >= 2 replications each metric is the mean over replications with a 95%
Student-t confidence half-width ``t(0.975, R-1) · s / sqrt(R)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import t as student_t

from meshsim.sim.recorder import Recorder
from models.results import EdgeResult, EntrypointResult, LatencyStats, PhaseResult, ServiceResult

__all__ = ["aggregate_phase", "ci95", "exposure", "latency_stats", "phase_metrics"]

_LAT_KEYS = ("mean", "p50", "p90", "p99", "max")


def latency_stats(samples_s: Sequence[float]) -> dict[str, float]:
    """Mean, p50, p90, p99 and max in milliseconds ({} when there are no samples).

    Examples
    --------
    >>> latency_stats([0.001, 0.003])["mean"]
    2.0
    """
    if not samples_s:
        return {}
    arr = np.asarray(samples_s, dtype=float) * 1000.0
    p50, p90, p99 = np.percentile(arr, [50, 90, 99])
    return {
        "mean": float(arr.mean()),
        "p50": float(p50),
        "p90": float(p90),
        "p99": float(p99),
        "max": float(arr.max()),
    }


def ci95(values: Sequence[float]) -> float:
    """95% confidence half-width of the mean of ``values`` (0 for fewer than two)."""
    n = len(values)
    if n < 2:
        return 0.0
    sd = float(np.std(np.asarray(values, dtype=float), ddof=1))
    return float(student_t.ppf(0.975, n - 1) * sd / math.sqrt(n))


def phase_metrics(rec: Recorder) -> dict[str, Any]:
    """Metrics of one replication of one phase, as plain nested dicts."""
    model = rec.model
    window = model.duration - model.warmup
    entries = {}
    for i, e in enumerate(model.entrypoints):
        n = len(rec.entry_latency[i])
        entries[e.name] = {
            "requests": n,
            "success_rate": rec.entry_ok[i] / n if n else 0.0,
            "good_rate": rec.entry_good[i] / n if n else 0.0,
            "throughput_rps": rec.entry_ok[i] / window,
            "latency": latency_stats(rec.entry_latency[i]),
        }
    services = {}
    for i, s in enumerate(model.services):
        services[s.name] = {
            "calls": rec.svc_calls[i],
            "attempts": rec.svc_attempts[i],
            "retries": max(rec.svc_attempts[i] - rec.svc_calls[i], 0),
            "errors": rec.svc_errors[i],
            "timeouts": rec.svc_timeouts[i],
            "rejected": rec.svc_rejected[i],
            "utilization": rec.busy_s[i] / (s.replicas * s.concurrency * window),
            "ejections": rec.ejections[i],
            "latency": latency_stats(rec.svc_latency[i]),
        }
    n = rec.n
    edges = {}
    attempts = s2s = s2s_mtls = breakages = 0
    for key in sorted(rec.edges):
        client, server = divmod(key, n)
        edge = rec.edges[key]
        tries = edge.attempts
        attempts += tries
        breakages += edge.breakages
        if client < n:
            s2s += tries
            s2s_mtls += edge.mtls
        edges[(model.client_name(client), model.names[server])] = {
            "calls": edge.calls,
            "attempts": tries,
            "failures": edge.failures,
            "mtls": edge.mtls / tries if tries else 0.0,
            "policy": edge.policy,
            "breakages": edge.breakages,
        }
    return {
        "entrypoints": entries,
        "services": services,
        "edges": edges,
        "retry_amplification": attempts / rec.calls_total if rec.calls_total else 1.0,
        "mtls_coverage": s2s_mtls / s2s if s2s else 0.0,
        "policy_coverage": rec.calls_policy / rec.calls_total if rec.calls_total else 0.0,
        "telemetry_coverage": rec.calls_telemetry / rec.calls_total if rec.calls_total else 0.0,
        "touched": rec.touched,
        "breakages": breakages,
        **_proxy_cost(rec, window),
    }


def _proxy_cost(rec: Recorder, window: float) -> dict[str, float]:
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
        sidecars = sum(s.replicas for s, m in zip(model.services, plan.meshed, strict=True) if m)
        proxies += sidecars
        memory += sidecars * profile.proxy.memory_mib
    return {"proxies": proxies, "proxy_cpu_cores": cpu, "proxy_memory_mi_b": memory}


def exposure(touched: Sequence[int], onboarded_mask: int) -> float:
    """Share of requests whose call tree addressed a service in ``onboarded_mask`` (§11.3)."""
    if not touched or not onboarded_mask:
        return 0.0
    return sum(1 for mask in touched if mask & onboarded_mask) / len(touched)


def _mean(values: list[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def _latency(reps: list[dict[str, float]]) -> tuple[LatencyStats, dict[str, float]]:
    present = [r for r in reps if r]
    if not present:
        return LatencyStats(), {}
    stats = {k: _mean([r[k] for r in present]) for k in _LAT_KEYS}
    cis = {f"latencyMs.{k}": ci95([r[k] for r in present]) for k in _LAT_KEYS}
    return LatencyStats(**stats), cis


def aggregate_phase(
    reps: list[dict[str, Any]],
    *,
    index: int,
    name: str,
    meshed: list[str],
    onboarded: list[str],
    slos: dict[str, tuple[float | None, float | None]],
    onboarded_mask: int = 0,
) -> PhaseResult:
    """Average per-replication metrics into one :class:`PhaseResult` with CIs."""
    many = len(reps) > 1
    entries = {}
    for ename in reps[0]["entrypoints"]:
        rs = [r["entrypoints"][ename] for r in reps]
        latency, cis = _latency([r["latency"] for r in rs])
        values = {
            k: _mean([r[k] for r in rs])
            for k in ("requests", "success_rate", "good_rate", "throughput_rps")
        }
        latency_slo, error_slo = slos[ename]
        slo_met = (latency_slo is None or (latency.p99 or 0.0) <= latency_slo * 1000.0) and (
            error_slo is None or 1.0 - values["success_rate"] <= error_slo + 1e-12
        )
        if many:
            cis.update(
                {
                    "successRate": ci95([r["success_rate"] for r in rs]),
                    "goodRate": ci95([r["good_rate"] for r in rs]),
                    "throughputRps": ci95([r["throughput_rps"] for r in rs]),
                }
            )
        entries[ename] = EntrypointResult(
            **values, slo_met=slo_met, latency_ms=latency, ci95=cis if many else {}
        )
    services = {}
    for sname in reps[0]["services"]:
        rs = [r["services"][sname] for r in reps]
        latency, _ = _latency([r["latency"] for r in rs])
        keys = (
            "calls",
            "attempts",
            "retries",
            "errors",
            "timeouts",
            "rejected",
            "utilization",
            "ejections",
        )
        services[sname] = ServiceResult(
            **{k: _mean([r[k] for r in rs]) for k in keys}, latency_ms=latency
        )
    edge_keys = sorted({k for r in reps for k in r["edges"]})
    edges = []
    for key in edge_keys:
        rs = [r["edges"].get(key) for r in reps]
        got = [r for r in rs if r is not None]
        edges.append(
            EdgeResult.model_validate(
                {
                    "from": key[0],
                    "to": key[1],
                    **{
                        k: _mean([r[k] if r else 0 for r in rs])
                        for k in ("calls", "attempts", "failures", "breakages")
                    },
                    "mtls": _mean([r["mtls"] for r in got]),
                    "policy": any(r["policy"] for r in got),
                }
            )
        )
    scalars = (
        "retry_amplification",
        "mtls_coverage",
        "policy_coverage",
        "telemetry_coverage",
        "proxy_cpu_cores",
        "proxy_memory_mi_b",
        "breakages",
    )
    values = {k: _mean([r[k] for r in reps]) for k in scalars}
    exposures = [exposure(r["touched"], onboarded_mask) for r in reps]
    values["exposure"] = _mean(exposures)
    cis = {}
    if many:
        cis = {
            "retryAmplification": ci95([r["retry_amplification"] for r in reps]),
            "exposure": ci95(exposures),
            "proxyCpuCores": ci95([r["proxy_cpu_cores"] for r in reps]),
        }
    return PhaseResult(
        index=index,
        name=name,
        meshed=meshed,
        onboarded=onboarded,
        entrypoints=entries,
        services=services,
        edges=edges,
        proxies=int(reps[0]["proxies"]),
        ci95=cis,
        **values,
    )
