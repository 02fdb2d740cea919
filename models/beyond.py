"""Canaries, authorization, clusters and cost (SPEC §20): the document parts.

The rules these pieces put in force live in :mod:`meshsim.rollout.state`; the
choices SPEC §20 leaves open are written down in docs/beyond-sidecars.md.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from models.base import Document
from models.distributions import Distribution, LogNormal
from models.services import check_dns_label

__all__ = ["AuthzRule", "Cluster", "Cost", "GATEWAY_IDENTITY", "HOURS_PER_MONTH"]

GATEWAY_IDENTITY = "@gateway"
"""How an ``allow`` list names the ingress gateway (entrypoints with ``client: gateway``)."""

HOURS_PER_MONTH = 730.0
"""Hours in the month of ``proxyCostPerMonth`` (SPEC §20): 365 × 24 / 12."""


def _default_cross_latency() -> Distribution:
    return LogNormal.model_validate({"dist": "lognormal", "median": "10ms", "p99": "30ms"})


class Cluster(Document):
    """A Kubernetes cluster of a multi-cluster mesh and the network it sits on."""

    name: str = Field(description="Cluster name (a DNS-1123 label).")
    network: str = Field("default", description="Network; calls between networks cross gateways.")
    cross_latency: Distribution = Field(
        default_factory=_default_cross_latency,
        description="Added each way to a call entering this cluster from another network.",
    )

    @field_validator("name")
    @classmethod
    def _dns_label(cls, value: str) -> str:
        return check_dns_label(value)


class Cost(Document):
    """Prices of the resources the proxies use (SPEC §20)."""

    vcpu_hour: Annotated[float, Field(ge=0)] = Field(description="Price of one vCPU for an hour.")
    gib_hour: Annotated[float, Field(ge=0)] = Field(description="Price of one GiB for an hour.")


class AuthzRule(Document):
    """An AuthorizationPolicy change made in a phase (SPEC §20).

    ``{service: S, allow: [callers]}`` lets only the listed callers reach S's proxies
    (``@gateway`` names the ingress gateway; an empty list denies everyone);
    ``{scope: mesh, default: deny}`` denies every call to a meshed service that has no
    ``allow`` list of its own (``default: allow`` lifts it again).
    """

    scope: Literal["service", "mesh"] = Field("service", description="What the rule covers.")
    service: str | None = Field(None, description="scope service: the callee it protects.")
    allow: list[str] | None = Field(None, description="scope service: the callers allowed.")
    default: Literal["deny", "allow"] | None = Field(
        None, description="scope mesh: what a service without an allow list does."
    )

    @model_validator(mode="after")
    def _fields_match_scope(self) -> AuthzRule:
        if self.scope == "service":
            if self.service is None:
                raise ValueError("an authz rule of scope 'service' needs 'service'")
            if self.allow is None:
                raise ValueError(f"authz rule for {self.service!r} needs 'allow'")
            if self.default is not None:
                raise ValueError("'default' goes with scope 'mesh', not with a service")
        else:
            if self.service is not None or self.allow is not None:
                raise ValueError("scope 'mesh' takes 'default', not 'service' or 'allow'")
            if self.default is None:
                raise ValueError("an authz rule of scope 'mesh' needs 'default' (deny or allow)")
        return self
