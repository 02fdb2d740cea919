"""Services, their call scripts, entrypoints and SLOs (SPEC §3-§5)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from models import limits
from models.base import Document
from models.distributions import Constant, Distribution
from models.load import Load
from models.values import Duration, OptDuration, Probability, Rate

__all__ = [
    "Call",
    "CallItem",
    "Entrypoint",
    "ParallelGroup",
    "Service",
    "Slo",
    "DNS_LABEL",
]

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def check_dns_label(name: str) -> str:
    """Reject names that are not DNS-1123 labels (what Kubernetes accepts)."""
    if not DNS_LABEL.match(name):
        raise ValueError(
            f"{name!r} is not a DNS-1123 label (lowercase letters, digits and '-', "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return name


class Call(Document):
    """One call of a service's script (SPEC §4)."""

    to: str = Field(description="The service called.")
    count: Annotated[int, Field(ge=1, le=limits.MAX_CALL_COUNT)] = Field(
        1, description="Sequential repetitions."
    )
    probability: Probability = Field(
        1.0, description="Chance the call is made, drawn once per execution of the item."
    )
    optional: bool = Field(False, description="Its failure does not fail the caller.")
    timeout: OptDuration = Field(None, description="Application-level timeout of each try.")
    retries: Annotated[int, Field(ge=0, le=limits.MAX_APP_RETRIES)] = Field(
        0, description="Application-level retries."
    )
    retry_backoff: Duration = Field(0.0, description="Fixed wait between application retries.")


class ParallelGroup(Document):
    """Calls started together; the item ends when all of them have ended."""

    parallel: Annotated[list[Call], Field(min_length=1)] = Field(
        description="Calls made concurrently (fork-join)."
    )


def _call_item_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "parallel" if "parallel" in value else "call"
    return "parallel" if isinstance(value, ParallelGroup) else "call"


CallItem = Annotated[
    Annotated[Call, Tag("call")] | Annotated[ParallelGroup, Tag("parallel")],
    Discriminator(_call_item_kind),
]
"""An item of a call script: a call, or a parallel group of calls."""


class Service(Document):
    """A service of the graph (SPEC §3)."""

    name: str = Field(description="Unique DNS-1123 label.")
    namespace: str = Field("default", description="Kubernetes namespace.")
    replicas: Annotated[int, Field(ge=1, le=limits.MAX_REPLICAS)] = Field(
        1, description="Replicas (pods)."
    )
    concurrency: Annotated[int, Field(ge=1, le=limits.MAX_CONCURRENCY)] = Field(
        16, description="Workers per replica."
    )
    concurrency_model: Literal["threads", "async"] = Field(
        "threads",
        description="threads: a worker is held until the request ends; "
        "async: only during the request's own work.",
    )
    queue_limit: Annotated[int | None, Field(ge=0, le=limits.MAX_QUEUE_LIMIT)] = Field(
        None, description="Max waiting requests per replica; none = unbounded."
    )
    service_time: Distribution = Field(
        default_factory=lambda: Constant.model_validate({"value": "1ms"}),
        description="Own work per request.",
    )
    error_rate: Probability = Field(0.0, description="Probability a request fails with 500.")
    protocol: Literal["http", "grpc", "tcp"] = Field("http", description="Protocol it serves.")
    external: bool = Field(False, description="Exposed outside the cluster (edge/API service).")
    sensitive: bool = Field(False, description="Handles sensitive data (payments, PII).")
    environment: Literal["production", "staging", "development"] = Field(
        "production", description="Environment the service runs in."
    )
    tier: Literal["critical", "standard", "low"] = Field("standard", description="Business tier.")
    calls: list[CallItem] = Field(default_factory=list, description="The call script, in order.")
    clusters: dict[str, Annotated[int, Field(ge=1, le=limits.MAX_REPLICAS)]] | None = Field(
        None,
        description="Replicas per cluster (SPEC §20), instead of `replicas`; in document order.",
    )

    @model_validator(mode="after")
    def _replicas_from_clusters(self) -> Service:
        # `clusters: {east: 2, west: 1}` stands for `replicas: 3`. Set without marking
        # `replicas` as written, so a saved or overridden document keeps only `clusters`;
        # when both are written the scenario's rules report a mismatch at
        # services[i].clusters
        if self.clusters and "replicas" not in self.model_fields_set:
            object.__setattr__(self, "replicas", sum(self.clusters.values()))
        return self

    def replica_clusters(self) -> list[str | None]:
        """The cluster of each replica, in order (``None`` without ``clusters``)."""
        if not self.clusters:
            return [None] * self.replicas
        return [name for name, count in self.clusters.items() for _ in range(count)]

    @field_validator("name", "namespace")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        return check_dns_label(value)

    @field_validator("queue_limit", mode="before")
    @classmethod
    def _none(cls, value: object) -> object:
        return None if isinstance(value, str) and value.strip().lower() == "none" else value

    def iter_calls(self) -> list[Call]:
        """Every call of the script, parallel groups flattened, in order."""
        out: list[Call] = []
        for item in self.calls:
            out.extend(item.parallel if isinstance(item, ParallelGroup) else [item])
        return out


class Slo(Document):
    """Service-level objective of an entrypoint."""

    latency_p99: OptDuration = Field(None, description="Max p99 latency; none = no bound.")
    error_rate: Probability | None = Field(None, description="Max share of failed requests.")


class Entrypoint(Document):
    """Where traffic enters the graph (SPEC §5)."""

    name: str = Field(description="Unique name; edges from it are named '@name'.")
    service: str = Field(description="The service that receives the traffic.")
    rate: Annotated[Rate, Field(le=limits.MAX_RATE_RPS)] = Field(
        description="Arrival rate in requests per second."
    )
    arrival: Literal["poisson", "constant"] = Field("poisson", description="Arrival process.")
    client: Literal["external", "gateway"] = Field(
        "external", description="external: never meshed; gateway: meshed from its phase."
    )
    slo: Slo | None = Field(None, description="Overrides the document's slo.")
    load: Load | None = Field(
        None,
        description="The rate over simulated time (SPEC §14): points {at, rate, ramp}, "
        "or {shape: spike, peak, at, duration}, or {shape: sine, amplitude, period}.",
    )
