"""Rollout phases, orderings, faults and simulation settings (SPEC §7-§9)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from models import limits
from models.base import Document
from models.beyond import AuthzRule
from models.distributions import Constant, Distribution
from models.mesh import MeshPolicy
from models.values import Duration, OptDuration, Probability, format_duration

__all__ = [
    "SCORE_TERMS",
    "CanaryShare",
    "Constraints",
    "Fault",
    "MtlsRule",
    "Ordering",
    "Phase",
    "Rollout",
    "Simulation",
    "STRATEGIES",
]

STRATEGIES = (
    "as-written",
    "risk-ascending",
    "edge-first",
    "leaves-first",
    "sensitive-first",
    "optimized",
)
"""Names of the generated orderings of SPEC §7.2."""


class MtlsRule(Document):
    """A PeerAuthentication change made in a phase."""

    scope: Literal["service", "namespace", "mesh"] = Field(description="What the rule covers.")
    name: str | None = Field(None, description="Service or namespace name (not for mesh).")
    mode: Literal["STRICT", "PERMISSIVE"] = Field(description="mTLS mode.")

    @model_validator(mode="after")
    def _name_matches_scope(self) -> MtlsRule:
        if self.scope != "mesh" and not self.name:
            raise ValueError(f"scope {self.scope!r} needs a name")
        if self.scope == "mesh" and self.name:
            raise ValueError(f"scope 'mesh' takes no name (got {self.name!r})")
        return self


CanaryShare = Annotated[float, Field(gt=0, le=1)]
"""Share of a service's replicas a canary meshes: 0 < share <= 1."""


class Phase(Document):
    """One rollout phase; phases are cumulative."""

    name: str = Field(description="Phase name (unique).")
    services: list[str] = Field(default_factory=list, description="Services meshed in this phase.")
    namespaces: list[str] = Field(
        default_factory=list, description="Shorthand: every service of these namespaces."
    )
    mtls: list[MtlsRule] = Field(default_factory=list, description="PeerAuthentication changes.")
    policies: list[MeshPolicy] = Field(
        default_factory=list, description="Mesh policies that start to apply in this phase."
    )
    gateway: bool | None = Field(
        None, description="true: entrypoints with client gateway become meshed in this phase."
    )
    waypoints: list[str] = Field(
        default_factory=list, description="istio-ambient: services that get an L7 waypoint."
    )
    canary: dict[str, CanaryShare] = Field(
        default_factory=dict,
        description="Mesh this share of a service's replicas (rounded up, at least one).",
    )
    authz: list[AuthzRule] = Field(
        default_factory=list, description="AuthorizationPolicy changes made in this phase."
    )
    clusters: list[str] = Field(
        default_factory=list, description="Mesh every replica that runs in these clusters."
    )


SCORE_TERMS = (
    "mtlsAuc",
    "sensitiveMtlsAuc",
    "pilotExposure",
    "meanExposure",
    "endLatency",
    "endErrors",
    "endRetries",
    "endProxyCpu",
    "phaseLatency",
    "phaseErrors",
    "phaseRetries",
)
"""Names of the terms of the ordering score (SPEC §11.5, docs/planning.md)."""


class Constraints(Document):
    """Hard limits on a rollout plan (SPEC §11.5): ``optimized`` keeps them, others are marked."""

    pilot_max_exposure: Probability = Field(
        0.1, description="Phase 1 touches at most this share of entry requests."
    )
    max_services_per_phase: Annotated[int, Field(ge=1)] | None = Field(
        None, description="No phase onboards more services than this (default: no limit)."
    )
    first: list[str] = Field(default_factory=list, description="Onboarded in phase 1.")
    last: list[str] = Field(default_factory=list, description="Onboarded in the final phase.")

    @model_validator(mode="after")
    def _first_and_last_differ(self) -> Constraints:
        both = sorted(set(self.first) & set(self.last))
        if both:
            raise ValueError(f"{', '.join(both)} cannot be both first and last")
        return self


def _known_terms(weights: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(SCORE_TERMS))
    if unknown:
        raise ValueError(f"unknown score term {unknown[0]!r}; known: {', '.join(SCORE_TERMS)}")
    negative = sorted(k for k, v in weights.items() if v < 0)
    if negative:
        raise ValueError(f"weight of {negative[0]!r} must be at least 0")
    return weights


class Rollout(Document):
    """The rollout plan as written, its constraints and the weights of the score."""

    phases: list[Phase] = Field(default_factory=list, description="Phases, in order.")
    constraints: Constraints = Field(
        default_factory=Constraints, description="Hard limits for generated plans (§11.5)."
    )
    score_weights: Annotated[dict[str, float], AfterValidator(_known_terms)] = Field(
        default_factory=dict,
        description="Points of score terms, overriding the defaults (docs/planning.md).",
    )


class Ordering(Document):
    """An alternative plan to compare: explicit phases or a generated strategy."""

    name: str = Field(description="Ordering name (unique).")
    phases: list[Phase] | None = Field(None, description="Explicit phases (as rollout.phases).")
    strategy: Literal[STRATEGIES] | None = Field(None, description="A generated strategy.")  # type: ignore[valid-type]
    phase_count: Annotated[int, Field(ge=1, le=limits.MAX_PHASE_COUNT)] | None = Field(
        None, description="Number of phases a strategy generates (default 4)."
    )
    canary: CanaryShare | None = Field(
        None,
        description="A strategy starts each risky service (critical tier or sensitive) as a "
        "canary of this share one phase before it meshes all of it.",
    )
    least_privilege: bool = Field(
        False,
        description="A strategy's last phase allows each service only its observed callers.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Ordering:
        if (self.phases is None) == (self.strategy is None):
            raise ValueError("an ordering needs exactly one of 'phases' or 'strategy'")
        if self.phases is not None and self.phase_count is not None:
            raise ValueError("phaseCount goes with 'strategy', not with 'phases'")
        if self.phases is not None and (self.canary is not None or self.least_privilege):
            raise ValueError("canary and leastPrivilege go with 'strategy', not with 'phases'")
        return self


class Fault(Document):
    """An injected fault (SPEC §8)."""

    service: str = Field(description="The service hit.")
    type: Literal["outage", "error", "latency", "crash", "cert-expiry", "proxy-crash"] = Field(
        description="Fault kind."
    )
    start: Duration = Field(0.0, description="When the fault starts.")
    duration: OptDuration = Field(None, description="How long it lasts; none = until the end.")
    replicas: Annotated[int, Field(ge=1, le=limits.MAX_REPLICAS)] | None = Field(
        None, description="How many replicas are hit; default all."
    )
    error_rate: Probability | None = Field(None, description="type error: extra chance of 500.")
    delay: Distribution | None = Field(None, description="type latency: added service time.")
    probability: Probability = Field(1.0, description="type latency: share of requests delayed.")

    @model_validator(mode="after")
    def _fields_match_type(self) -> Fault:
        if self.type == "error" and self.error_rate is None:
            raise ValueError("a fault of type 'error' needs errorRate")
        if self.type == "latency" and self.delay is None:
            raise ValueError("a fault of type 'latency' needs delay")
        if self.type != "error" and self.error_rate is not None:
            raise ValueError(f"errorRate applies to type 'error', not {self.type!r}")
        if self.type != "latency" and self.delay is not None:
            raise ValueError(f"delay applies to type 'latency', not {self.type!r}")
        if self.type == "cert-expiry" and self.replicas is not None:
            raise ValueError("replicas does not apply to 'cert-expiry' (a service's identity)")
        return self


def _at_most_a_week(seconds: float) -> float:
    if seconds > limits.MAX_SIM_DURATION_S:
        limit = f"{limits.MAX_SIM_DURATION_S:.0f}s"
        raise ValueError(f"must be at most 7 days ({limit}), got {format_duration(seconds)}")
    return seconds


class Simulation(Document):
    """Simulation settings (SPEC §9)."""

    duration: Annotated[Duration, AfterValidator(_at_most_a_week)] = Field(
        60.0, description="Simulated time."
    )
    warmup: Duration = Field(5.0, description="Arrivals before this are not measured.")
    seed: int = Field(1, description="Seed of every random stream.")
    replications: Annotated[int, Field(ge=1, le=limits.MAX_REPLICATIONS)] = Field(
        3, description="Independent runs."
    )
    network_latency: Distribution = Field(
        default_factory=lambda: Constant.model_validate({"value": "0ms"}),
        description="Network latency per hop, each way.",
    )
    backoff_mode: Literal["envoy", "envoy-doc"] = Field(
        "envoy", description="Default back-off mode of mesh retries (SPEC §10.5)."
    )
    max_depth: Annotated[int, Field(ge=1, le=limits.MAX_DEPTH)] = Field(
        32, description="Call nesting limit."
    )
    series: OptDuration = Field(
        None, description="Bucket width of the time series (SPEC §14); none = off."
    )

    @model_validator(mode="after")
    def _window(self) -> Simulation:
        if self.duration <= 0:
            raise ValueError("duration must be > 0")
        if self.series is not None and self.series <= 0:
            raise ValueError(f"series must be a bucket width > 0, got {self.series!r}")
        if self.series is not None and self.duration / self.series > limits.MAX_SERIES_BUCKETS:
            raise ValueError(
                f"series {self.series:g}s makes {self.duration / self.series:,.0f} buckets of "
                f"a {self.duration:g}s run; at most {limits.MAX_SERIES_BUCKETS:,} (widen it)"
            )
        if self.warmup >= self.duration:
            raise ValueError(
                f"warmup ({self.warmup:g}s) must be shorter than duration ({self.duration:g}s)"
            )
        return self
