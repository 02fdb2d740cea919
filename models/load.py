"""Load over time of an entrypoint (SPEC §14): points with ramps, a spike, a sine.

Times are seconds of simulated time from the start of the run (warm-up included);
rates are requests per second. Before the first point, and without ``load``, the
entrypoint's ``rate`` applies.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

from models import limits
from models.base import Document
from models.values import Duration, Rate

__all__ = ["Load", "LoadPoint", "SineLoad", "SpikeLoad"]

BoundedRate = Annotated[Rate, Field(le=limits.MAX_RATE_RPS)]
"""A rate within the bounds of an entrypoint's ``rate``."""
SimTime = Annotated[Duration, Field(le=limits.MAX_SIM_DURATION_S)]
"""A time within the longest simulated run."""


class LoadPoint(Document):
    """From ``at``, the rate moves to ``rate``: at once, or linearly within ``ramp``.

    Examples
    --------
    >>> LoadPoint.model_validate({"at": "20s", "rate": "600/s", "ramp": "5s"}).ramp
    5.0
    """

    at: SimTime = Field(description="When the change starts (simulated time).")
    rate: BoundedRate = Field(description="The rate reached, requests per second.")
    ramp: SimTime = Field(0.0, description="Time to reach it linearly; 0 = a step.")


class SpikeLoad(Document):
    """``rate`` everywhere but ``peak`` in [at, at + duration)."""

    shape: Literal["spike"] = Field(description="A rectangular spike.")
    peak: BoundedRate = Field(description="The rate during the spike.")
    at: SimTime = Field(description="When the spike starts.")
    duration: SimTime = Field(description="How long it lasts.")

    @model_validator(mode="after")
    def _positive(self) -> SpikeLoad:
        if self.duration <= 0:
            raise ValueError(f"duration must be > 0, got {self.duration:g}s")
        return self


class SineLoad(Document):
    """``rate · (1 + amplitude · sin(2πt / period))``."""

    shape: Literal["sine"] = Field(description="A sine wave around the rate.")
    amplitude: Annotated[float, Field(ge=0.0, lt=1.0)] = Field(
        description="Relative swing, 0 <= amplitude < 1 (the rate stays above 0)."
    )
    period: SimTime = Field(description="Length of one wave.")

    @model_validator(mode="after")
    def _positive(self) -> SineLoad:
        if self.period <= 0:
            raise ValueError(f"period must be > 0, got {self.period:g}s")
        return self


def _check_points(points: list[LoadPoint]) -> list[LoadPoint]:
    for i in range(1, len(points)):
        before, point = points[i - 1], points[i]
        if point.at < before.at + before.ramp:
            raise ValueError(
                f"point {i} starts at {point.at:g}s, before point {i - 1} "
                f"(at {before.at:g}s, ramp {before.ramp:g}s) has ended: "
                "points must be in time order and a ramp must end before the next point"
            )
    return points


def _load_kind(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("shape", "points"))
    if isinstance(value, SpikeLoad | SineLoad):
        return value.shape
    return "points"


PointList = Annotated[
    list[LoadPoint],
    Field(min_length=1, max_length=limits.MAX_LOAD_POINTS),
    AfterValidator(_check_points),
]

Load = Annotated[
    Annotated[PointList, Tag("points")]
    | Annotated[SpikeLoad, Tag("spike")]
    | Annotated[SineLoad, Tag("sine")],
    Discriminator(_load_kind),
]
"""An entrypoint's load over time: a list of points, or a ``spike``/``sine`` shorthand."""
