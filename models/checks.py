"""Assertions for CI pipelines kept in the scenario (SPEC §16): ``checks``."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator

from models.base import Document
from models.values import OptDuration, Probability, parse_duration

__all__ = ["Checks", "parse_p99_delta"]

_PERCENT = re.compile(r"^\s*([+]?(?:\d+(?:\.\d*)?|\.\d+))\s*%\s*$")


def parse_p99_delta(value: object) -> tuple[float | None, float | None]:
    """``20ms`` → (0.02 s, None); ``20%`` → (None, 0.2): an absolute or relative limit.

    Examples
    --------
    >>> parse_p99_delta("20%")
    (None, 0.2)
    >>> parse_p99_delta("15ms")
    (0.015, None)
    """
    if isinstance(value, str) and (match := _PERCENT.match(value)):
        return None, float(match.group(1)) / 100.0
    seconds = parse_duration(value)
    if seconds < 0:
        raise ValueError(f"maxP99Delta must not be negative (got {value!r})")
    return seconds, None


class Checks(Document):
    """Limits ``meshsim check`` asserts for every entrypoint of every chosen phase.

    Examples
    --------
    >>> Checks.model_validate({"maxP99": "300ms", "maxP99Delta": "20%"}).max_p99
    0.3
    """

    min_success: Probability | None = Field(
        None, description="Lowest allowed success rate of an entrypoint (e.g. 0.999)."
    )
    max_p99: OptDuration = Field(None, description="Highest allowed p99 latency.")
    max_p99_delta: str | None = Field(
        None,
        alias="maxP99Delta",
        description="Highest allowed p99 increase over the baseline: a duration (20ms) "
        "or a percent of the baseline p99 (20%).",
    )
    max_amplification: Annotated[float, Field(ge=1)] | None = Field(
        None, description="Highest allowed retry amplification (attempts / calls)."
    )
    breakages: Annotated[int, Field(ge=0)] | None = Field(
        None, description="Most attempts refused by STRICT mTLS allowed (0: none)."
    )

    @field_validator("max_p99_delta", mode="before")
    @classmethod
    def _delta(cls, value: object) -> object:
        if value is None:
            return None
        parse_p99_delta(value)
        return value if isinstance(value, str) else f"{value}"
