"""The results document of ``meshsim sweep`` (SPEC §15)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from models.results import EntrypointResult, _Result

__all__ = ["METRICS", "SweepBest", "SweepPoint", "SweepResults"]


class SweepPoint(_Result):
    """One combination of parameter values and what the phase measured with it."""

    values: dict[str, Any] = Field(description="Parameter path → value (as written in YAML).")
    entrypoints: dict[str, EntrypointResult] = Field(description="Per entrypoint (SPEC §12.1).")
    retry_amplification: float = Field(description="Total attempts / total logical calls.")
    proxy_cpu_cores: float = Field(description="vCPU the proxies use at the measured load.")
    slo_met: bool = Field(description="Every entrypoint meets its SLO.")
    good_rate: float = Field(description="Mean goodRate over entrypoints.")
    p99_ms: float | None = Field(None, description="Worst p99 over entrypoints (ms).")


class SweepBest(_Result):
    """The best point and why (SPEC §15); ``values`` is null when no point meets every SLO."""

    values: dict[str, Any] | None = Field(description="The best point's values.")
    why: str = Field(description="The reason, in one sentence.")


class SweepResults(_Result):
    """Every point of a sweep, in order (the last parameter varies fastest)."""

    params: list[str] = Field(description="Parameter paths.")
    phase: str = Field(description="The phase simulated at every point.")
    replications: int = Field(description="Replications per point (common random numbers).")
    points: list[SweepPoint] = Field(description="Every combination.")
    best: SweepBest = Field(description="The best point and why.")


METRICS: dict[str, tuple[str | None, str]] = {
    "goodRate": ("goodRate", "good rate (ok within SLO latency)"),
    "successRate": ("successRate", "success rate"),
    "p99": ("latencyMs.p99", "p99 latency (ms)"),
    "throughputRps": ("throughputRps", "throughput (requests/s)"),
    "retryAmplification": (None, "retry amplification (attempts / calls)"),
    "proxyCpuCores": (None, "proxy vCPU"),
}
"""Metric name → (entrypoint field path or None for a phase figure, axis label)."""
