"""What one replication of one phase measured, as typed records (SPEC §11).

:func:`meshsim.sim.stats.phase_metrics` builds a :class:`PhaseSample` from a recorder;
:func:`meshsim.sim.stats.aggregate_phase` averages the samples of R replications into a
:class:`~models.results.PhaseResult`. Field names are those of the result models, so
averaging can walk the numeric fields (:func:`numeric_fields`) instead of listing them.

A ``None`` value means "not defined in this replication" (no latency without requests,
no mTLS share of an edge that carried no traffic); averages skip it.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from types import NoneType, UnionType
from typing import Union, get_args, get_origin, get_type_hints

__all__ = [
    "NO_TRAFFIC",
    "EdgeSample",
    "EntrySample",
    "GroupSample",
    "LatencySample",
    "PhaseSample",
    "SeriesSample",
    "ServiceSample",
    "numeric_fields",
]


@dataclass(frozen=True, slots=True)
class LatencySample:
    """Latency summary of one replication, in milliseconds."""

    mean: float
    p50: float
    p90: float
    p99: float
    max: float


@dataclass(frozen=True, slots=True)
class EntrySample:
    """One entrypoint in one replication (SPEC §11.1)."""

    requests: int
    success_rate: float | None
    """None in a replication without a measured request: it has no rate to average."""
    good_rate: float | None
    throughput_rps: float
    latency: LatencySample | None


@dataclass(frozen=True, slots=True)
class GroupSample:
    """The meshed or the plain replicas of a canary service in one replication."""

    replicas: int
    attempts: int
    failures: int


@dataclass(frozen=True, slots=True)
class ServiceSample:
    """One service in one replication (SPEC §11.2)."""

    calls: int
    attempts: int
    retries: int
    errors: int
    timeouts: int
    rejected: int
    utilization: float
    ejections: int
    latency: LatencySample | None
    meshed: GroupSample | None = None  # SPEC §20: a canary's replicas with a sidecar
    plain: GroupSample | None = None  # ... and without


@dataclass(frozen=True, slots=True)
class EdgeSample:
    """One caller → callee edge in one replication; ``mtls``/``policy`` None without traffic."""

    calls: int
    attempts: int
    failures: int
    mtls: float | None
    policy: bool | None
    breakages: int
    denials: int = 0


NO_TRAFFIC = EdgeSample(calls=0, attempts=0, failures=0, mtls=None, policy=None, breakages=0)
"""An edge in a replication where it carried no call: counts 0, shares undefined."""


@dataclass(frozen=True, slots=True)
class SeriesSample:
    """The time series of one replication (SPEC §14): one value per bucket.

    ``entrypoints[name]`` holds requests, ok, failed, p50Ms, p99Ms (None where no
    request of the bucket finished); ``services[name]`` attempts, rejected, timeouts,
    inFlight, queued, utilization, ejected; ``edges[(from, to)]`` calls, attempts,
    failures. Keys are the wire names of :class:`models.results.Series`.
    """

    bucket_s: float
    t: list[float]
    entrypoints: dict[str, dict[str, list[float | None]]]
    services: dict[str, dict[str, list[float]]]
    edges: dict[tuple[str, str], dict[str, list[float]]]


@dataclass(frozen=True, slots=True)
class PhaseSample:
    """Everything one replication of one phase measured.

    ``touched`` holds, per measured entry request, the bit mask of services its call
    tree addressed; exposure is computed from it per phase, because phases that
    onboard different services can share one simulation (the same mesh state).
    """

    entrypoints: dict[str, EntrySample]
    services: dict[str, ServiceSample]
    edges: dict[tuple[str, str], EdgeSample]
    retry_amplification: float
    mtls_coverage: float
    policy_coverage: float
    telemetry_coverage: float
    proxies: int
    proxy_cpu_cores: float
    proxy_memory_mi_b: float
    breakages: int
    touched: list[int]
    denials: int = 0
    series: SeriesSample | None = None


@cache
def numeric_fields(cls: type) -> tuple[str, ...]:
    """Names of the fields of dataclass ``cls`` that hold a number (int or float, maybe None).

    Booleans, records and containers are not numbers.

    Examples
    --------
    >>> numeric_fields(EdgeSample)
    ('calls', 'attempts', 'failures', 'mtls', 'breakages', 'denials')
    """
    hints = get_type_hints(cls)
    return tuple(f.name for f in fields(cls) if _is_number(hints[f.name]))


def _is_number(hint: object) -> bool:
    parts = get_args(hint) if get_origin(hint) in (Union, UnionType) else (hint,)
    numbers = [p for p in parts if p is not NoneType]
    return bool(numbers) and all(p in (int, float) for p in numbers)
