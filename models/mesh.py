"""Mesh settings (SPEC §6): profile, proxy numbers and client-side policies.

Policy models keep track of which fields the user actually wrote
(``model_fields_set``) so that ``mesh.defaults``, ``mesh.policies`` and phase
policies merge field by field (:func:`merge_policy`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from models import limits
from models.base import Document
from models.distributions import Distribution
from models.values import Duration, OptDuration

__all__ = [
    "Backoff",
    "ConnectionPool",
    "Mesh",
    "MeshPolicy",
    "OutlierDetection",
    "Policy",
    "Proxy",
    "RatioBudget",
    "RetryBudget",
    "Retries",
    "RETRY_TOKENS",
    "merge_policy",
]

RETRY_TOKENS = (
    "5xx",
    "gateway-error",
    "reset",
    "connect-failure",
    "retriable-status-codes",
    "unavailable",
    "cancelled",
    "refused-stream",
    "retriable-4xx",
    # Envoy's gRPC tokens (x-envoy-retry-grpc-on), with "unavailable" and "cancelled" above
    "internal",
    "deadline-exceeded",
    "resource-exhausted",
)
"""The ``retryOn`` tokens of SPEC §6 and §10.5; any other token is an error."""

Count = Annotated[int, Field(ge=0, le=limits.MAX_POOL_LIMIT)]
OptLimit = Annotated[int | None, Field(ge=1, le=limits.MAX_POOL_LIMIT)]


class Backoff(Document):
    """Back-off between mesh retries (SPEC §10.5)."""

    base: Duration = Field(0.025, description="Base interval of the jittered exponential back-off.")
    max: Duration = Field(0.25, description="Upper bound of any single back-off.")
    mode: Literal["envoy", "envoy-doc"] | None = Field(
        None,
        description="envoy: retry n waits U[0, min(2^(n-1)*base, max)); envoy-doc: "
        "U[0, (2^n-1)*base) capped at max. Default: simulation.backoffMode.",
    )


class RetryBudget(Document):
    """Envoy retry budget: concurrent retries allowed as a share of active requests."""

    percent: Annotated[float, Field(ge=0, le=100)] = Field(
        20.0, description="Percent of active requests that may be retries at once."
    )
    min_retry_concurrency: Count = Field(
        3, description="Concurrent retries always allowed, whatever the active requests."
    )


class RatioBudget(Document):
    """Linkerd retry budget: retries as a ratio of recent requests (tower ``TpsBudget``).

    Over any ``ttl`` window a client may retry at most ``minPerSecond · ttl`` plus
    ``ratio`` times the responses it did not retry in that window (SPEC §10.1).
    """

    ratio: Annotated[float, Field(gt=0, le=1000)] = Field(
        0.2, description="Retries allowed per request that was not retried (0.2: one in five)."
    )
    min_per_second: Count = Field(
        10, description="Retries per second always allowed, whatever the request rate."
    )
    ttl: Duration = Field(
        10.0, description="How long a request counts towards the budget (1-60 s)."
    )

    @model_validator(mode="after")
    def _ttl_range(self) -> RatioBudget:
        if not 1.0 <= self.ttl <= 60.0:
            raise ValueError(f"ttl must be between 1s and 60s, got {self.ttl:g}s")
        return self


def _none_is_null(value: object) -> object:
    return None if isinstance(value, str) and value.strip().lower() == "none" else value


class Retries(Document):
    """Mesh retry policy (Istio VirtualService ``retries``)."""

    attempts: Annotated[int, Field(ge=0, le=limits.MAX_ATTEMPTS)] = Field(
        2, description="Retries after the first try (Istio `attempts`)."
    )
    per_try_timeout: OptDuration = Field(None, description="Timeout of each try; none = off.")
    retry_on: list[str] = Field(
        default_factory=lambda: ["connect-failure", "refused-stream", "unavailable", "cancelled"],
        description="Outcomes that are retried, as Envoy x-envoy-retry-on tokens (SPEC §10.5).",
    )
    retriable_status_codes: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=list,
        description="Status codes retried under the retriable-status-codes token (500, 503, 504).",
    )
    backoff: Backoff = Field(default_factory=Backoff, description="Back-off between retries.")
    budget: RetryBudget | RatioBudget | None = Field(
        None,
        description="Retry budget instead of the fixed maxRetries limit: Envoy's "
        "{percent, minRetryConcurrency} or Linkerd's {ratio, minPerSecond, ttl}; none = off.",
    )

    @field_validator("retry_on")
    @classmethod
    def _known_tokens(cls, tokens: list[str]) -> list[str]:
        for token in tokens:
            if token not in RETRY_TOKENS:
                raise ValueError(
                    f"unknown retryOn token {token!r}; known: {', '.join(RETRY_TOKENS)}"
                )
        return tokens

    @field_validator("budget", mode="before")
    @classmethod
    def _budget_none(cls, value: object) -> object:
        return _none_is_null(value)


class ConnectionPool(Document):
    """Envoy circuit-breaker thresholds (DestinationRule ``connectionPool``); none = unlimited."""

    max_connections: OptLimit = Field(None, description="Max connections to the destination.")
    max_pending_requests: Annotated[int | None, Field(ge=0, le=limits.MAX_POOL_LIMIT)] = Field(
        None, description="Max requests waiting in the client proxy for a connection."
    )
    max_requests: OptLimit = Field(None, description="Max active requests to the destination.")
    max_retries: Annotated[int | None, Field(ge=0, le=limits.MAX_POOL_LIMIT)] = Field(
        None, description="Max concurrent retries to the destination."
    )

    @field_validator("*", mode="before")
    @classmethod
    def _none(cls, value: object) -> object:
        return _none_is_null(value)


class OutlierDetection(Document):
    """Consecutive-error ejection (DestinationRule ``outlierDetection``)."""

    consecutive_5xx_errors: Annotated[int, Field(ge=1)] = Field(
        5, alias="consecutive5xxErrors", description="Consecutive errors that eject a replica."
    )
    interval: Duration = Field(10.0, description="Ejection sweep interval.")
    base_ejection_time: Duration = Field(
        30.0, description="Ejection time, times the replica's ejection count, at most 300 s."
    )
    max_ejection_percent: Annotated[float, Field(ge=0, le=100)] = Field(
        10.0,
        description="A replica is ejected only if 100·(ejected+1)/replicas stays within this "
        "percent (Envoy ≥ 1.27: with 10%, fewer than 10 replicas are never ejected).",
    )
    always_eject_one_host: bool = Field(
        False,
        description="Allow one ejection whatever maxEjectionPercent says, when none is ejected "
        "(Envoy always_eject_one_host).",
    )

    @model_validator(mode="after")
    def _interval_positive(self) -> OutlierDetection:
        if self.interval <= 0:
            raise ValueError("interval must be > 0")
        return self


class Policy(Document):
    """Client-side policy for a destination; unset fields inherit (field-by-field merge)."""

    timeout: OptDuration = Field(None, description="Route timeout over all tries and back-offs.")
    retries: Retries | None = Field(
        default_factory=Retries, description="Retry policy; none = no retries."
    )
    connection_pool: ConnectionPool = Field(
        default_factory=ConnectionPool, description="Connection-pool limits."
    )
    outlier_detection: OutlierDetection | None = Field(
        None, description="Outlier detection; none = off."
    )

    @field_validator("retries", "outlier_detection", mode="before")
    @classmethod
    def _none(cls, value: object) -> object:
        return _none_is_null(value)


class MeshPolicy(Policy):
    """A per-destination override (a DestinationRule/VirtualService host)."""

    host: str = Field(description="Destination service name.")


class Proxy(Document):
    """Proxy cost and latency numbers; unset fields come from the profile."""

    latency: Distribution | None = Field(None, description="Latency per proxy traversal.")
    cpu_per_1k_rps: Annotated[float, Field(ge=0)] | None = Field(
        None, alias="cpuPer1kRps", description="vCPU per 1000 requests/s through one proxy."
    )
    memory_mi_b: Annotated[float, Field(ge=0)] | None = Field(
        None, alias="memoryMiB", description="Memory per proxy in MiB."
    )


class Mesh(Document):
    """The mesh: profile, proxy overrides, default and per-host policies."""

    profile: Literal["istio-sidecar", "istio-ambient", "linkerd", "custom"] = Field(
        "istio-sidecar", description="Published proxy numbers to start from (SPEC §6)."
    )
    proxy: Proxy = Field(default_factory=Proxy, description="Overrides of the profile's numbers.")
    nodes: Annotated[int, Field(ge=1, le=limits.MAX_NODES)] = Field(
        3, description="Nodes of the cluster (istio-ambient: one ztunnel per node)."
    )
    defaults: Policy = Field(
        default_factory=Policy, description="Client-side policy for every destination."
    )
    policies: list[MeshPolicy] = Field(
        default_factory=list, description="Per-destination overrides, in force from phase 1."
    )
    locality_lb: bool = Field(
        False,
        description="Meshed clients use replicas in their own cluster while any is healthy "
        "there (SPEC §20).",
    )

    @model_validator(mode="after")
    def _custom_complete(self) -> Mesh:
        if self.profile == "custom":
            missing = [
                alias
                for name, alias in (
                    ("latency", "latency"),
                    ("cpu_per_1k_rps", "cpuPer1kRps"),
                    ("memory_mi_b", "memoryMiB"),
                )
                if getattr(self.proxy, name) is None
            ]
            if missing:
                raise ValueError(
                    "profile 'custom' has no numbers of its own: "
                    f"proxy must give {', '.join(missing)}"
                )
        return self


def merge_policy(base: Document, override: Document | None) -> Document:
    """Merge ``override`` over ``base`` field by field, recursing into sub-documents.

    Only fields the user wrote in ``override`` (``model_fields_set``) replace the
    base; a nested document merges recursively, so ``retries: {attempts: 3}``
    keeps the base's ``retryOn`` and back-off.

    Examples
    --------
    >>> base = Policy()
    >>> merged = merge_policy(base, Policy.model_validate({"retries": {"attempts": 5}}))
    >>> merged.retries.attempts, merged.retries.retry_on[0]
    (5, 'connect-failure')
    """
    if override is None:
        return base
    updates = {}
    for name in override.model_fields_set:
        if name not in type(base).model_fields:
            continue
        new = getattr(override, name)
        old = getattr(base, name)
        if isinstance(new, Document) and isinstance(old, Document) and type(new) is type(old):
            new = merge_policy(old, new)
        updates[name] = new
    if not updates:
        return base
    return base.model_copy(update=updates)
