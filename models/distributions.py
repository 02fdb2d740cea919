"""Distributions of durations (SPEC §1)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_serializer, model_validator

from models import limits
from models.base import Document
from models.values import Duration, format_duration

__all__ = [
    "Constant",
    "Distribution",
    "Empirical",
    "Exponential",
    "Gamma",
    "LogNormal",
    "Uniform",
    "LOGNORMAL_Z99",
]

LOGNORMAL_Z99 = 2.3263
"""Standard normal 99th percentile used by SPEC §1 to turn (median, p99) into sigma."""


class Constant(Document):
    """Always the same duration; also what a plain duration (``5ms``) means."""

    dist: Literal["constant"] = Field("constant", description="Distribution kind.")
    value: Duration = Field(description="The duration every draw returns.")

    @property
    def mean(self) -> float:
        """Mean in seconds."""
        return self.value

    @model_serializer(mode="plain")
    def _as_duration(self) -> str:
        return format_duration(self.value)


class Exponential(Document):
    """Exponential (memoryless) durations, as in M/M/c queues."""

    dist: Literal["exponential"] = Field(description="Distribution kind.")
    mean_: Duration = Field(alias="mean", description="Mean duration.")

    @property
    def mean(self) -> float:
        """Mean in seconds."""
        return self.mean_


class Uniform(Document):
    """Uniform durations between ``low`` and ``high``."""

    dist: Literal["uniform"] = Field(description="Distribution kind.")
    low: Duration = Field(description="Smallest duration.")
    high: Duration = Field(description="Largest duration (>= low).")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(
                f"high ({format_duration(self.high)}) must be >= low ({format_duration(self.low)})"
            )
        return self

    @property
    def mean(self) -> float:
        """Mean in seconds."""
        return (self.low + self.high) / 2


class LogNormal(Document):
    """Log-normal durations given by median and 99th percentile."""

    dist: Literal["lognormal"] = Field(description="Distribution kind.")
    median: Duration = Field(description="Median duration (> 0).")
    p99: Duration = Field(description="99th percentile (> median).")

    @model_validator(mode="after")
    def _ordered(self) -> LogNormal:
        if self.median <= 0:
            raise ValueError(f"median must be > 0, got {format_duration(self.median)}")
        if self.p99 <= self.median:
            raise ValueError(
                f"p99 ({format_duration(self.p99)}) must be greater than "
                f"median ({format_duration(self.median)})"
            )
        return self

    @property
    def sigma(self) -> float:
        """Sigma of the underlying normal: ln(p99/median) / 2.3263."""
        return math.log(self.p99 / self.median) / LOGNORMAL_Z99

    @property
    def mean(self) -> float:
        """Mean in seconds."""
        return self.median * math.exp(self.sigma**2 / 2)


class Gamma(Document):
    """Gamma durations given by mean and coefficient of variation."""

    dist: Literal["gamma"] = Field(description="Distribution kind.")
    mean_: Duration = Field(alias="mean", description="Mean duration (> 0).")
    cv: Annotated[float, Field(gt=0)] = Field(description="Coefficient of variation (> 0).")

    @model_validator(mode="after")
    def _positive(self) -> Gamma:
        if self.mean_ <= 0:
            raise ValueError(f"mean must be > 0, got {format_duration(self.mean_)}")
        return self

    @property
    def mean(self) -> float:
        """Mean in seconds."""
        return self.mean_


class Empirical(Document):
    """A uniform choice among measured samples (importers use this)."""

    dist: Literal["empirical"] = Field(description="Distribution kind.")
    samples: Annotated[
        list[Duration], Field(min_length=1, max_length=limits.MAX_EMPIRICAL_SAMPLES)
    ] = Field(description="Measured durations; each draw picks one uniformly.")

    @property
    def mean(self) -> float:
        """Mean in seconds."""
        return sum(self.samples) / len(self.samples)


def _plain_duration_is_constant(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"dist": "constant", "value": value}
    if isinstance(value, dict) and "dist" not in value:
        raise ValueError(
            "a distribution mapping needs 'dist' (constant, exponential, uniform, "
            f"lognormal, gamma or empirical), got keys {sorted(value)}"
        )
    return value


Distribution = Annotated[
    Constant | Exponential | Uniform | LogNormal | Gamma | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_plain_duration_is_constant),
]
"""A duration distribution: a plain duration (constant) or a ``{dist: ...}`` mapping."""
