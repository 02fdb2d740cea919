"""Value types of the scenario format (SPEC §1): durations, rates, probabilities.

Durations are stored in **seconds** (float) and written back with a unit; rates in
requests per second; probabilities as floats in [0, 1].
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from models.limits import MAX_DURATION_S

__all__ = [
    "Duration",
    "OptDuration",
    "Probability",
    "Rate",
    "format_duration",
    "parse_duration",
    "parse_probability",
    "parse_rate",
]

_UNITS = {
    "us": Decimal("0.000001"),
    "µs": Decimal("0.000001"),
    "ms": Decimal("0.001"),
    "s": Decimal(1),
    "m": Decimal(60),
}
_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_DURATION_RE = re.compile(rf"^\s*({_NUM})\s*(us|µs|ms|s|m)\s*$")
_RATE_RE = re.compile(rf"^\s*({_NUM})\s*(?:/\s*(s|m))?\s*$")
_PERCENT_RE = re.compile(rf"^\s*({_NUM})\s*%\s*$")


def parse_duration(value: Any) -> float:
    """Parse ``250ms``, ``1.5s``, ``2m``, ``100us`` into seconds.

    A bare ``0`` is accepted; any other bare number is rejected because its unit
    would be a guess.

    Examples
    --------
    >>> parse_duration("250ms")
    0.25
    >>> parse_duration("2m")
    120.0
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like '250ms', got {value!r}")
    if isinstance(value, int | float):
        if value == 0:
            return 0.0
        raise ValueError(f"duration {value!r} needs a unit: us, ms, s or m (e.g. '{value}ms')")
    if not isinstance(value, str):
        raise ValueError(f"expected a duration like '250ms', got {value!r}")
    match = _DURATION_RE.match(value)
    if not match:
        raise ValueError(f"expected a duration like '250ms' or '1.5s', got {value!r}")
    # decimal arithmetic, so '800us' and '0.8ms' are the same float (round-trips are exact)
    seconds = float(Decimal(match.group(1)) * _UNITS[match.group(2)])
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be finite and >= 0, got {value!r}")
    if seconds > MAX_DURATION_S:
        limit = f"{MAX_DURATION_S:.0f}s"
        raise ValueError(f"duration must be at most 365 days ({limit}), got {value!r}")
    return seconds


def _parse_opt_duration(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return None
    return parse_duration(value)


def format_duration(seconds: float) -> str:
    """Write seconds back with the most readable unit (``0.25`` → ``250ms``)."""
    if seconds == 0:
        return "0ms"
    if seconds >= 1.0:
        return f"{seconds:.12g}s"
    if seconds >= 1e-5:
        return f"{seconds * 1000:.12g}ms"
    return f"{seconds * 1e6:.12g}us"


def _format_opt_duration(seconds: float | None) -> str:
    return "none" if seconds is None else format_duration(seconds)


def parse_rate(value: Any) -> float:
    """Parse ``200``, ``200/s`` or ``1200/m`` into requests per second.

    Examples
    --------
    >>> parse_rate("1200/m")
    20.0
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a rate like '200/s', got {value!r}")
    if isinstance(value, int | float):
        rate = float(value)
    elif isinstance(value, str) and (match := _RATE_RE.match(value)):
        rate = float(match.group(1)) / (60.0 if match.group(2) == "m" else 1.0)
    else:
        raise ValueError(f"expected a rate like '200/s' or '1200/m', got {value!r}")
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"rate must be > 0, got {value!r}")
    return rate


def parse_probability(value: Any) -> float:
    """Parse ``0.001`` or ``0.1%`` into a probability in [0, 1].

    Examples
    --------
    >>> parse_probability("0.1%")
    0.001
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a probability like 0.01 or '1%', got {value!r}")
    if isinstance(value, int | float):
        prob = float(value)
    elif isinstance(value, str) and (match := _PERCENT_RE.match(value)):
        prob = float(match.group(1)) / 100.0
    else:
        try:
            prob = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a probability like 0.01 or '1%', got {value!r}") from None
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f"probability must be between 0 and 1, got {value!r}")
    return prob


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["250ms", "1.5s"]}),
]
"""A duration in seconds; written as ``250ms``, ``1.5s``, ``2m`` or ``100us``."""

OptDuration = Annotated[
    float | None,
    BeforeValidator(_parse_opt_duration),
    PlainSerializer(_format_opt_duration, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["250ms", "none"]}),
]
"""A duration in seconds, or ``none`` (stored as ``None``) where the field may be off."""

Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    WithJsonSchema({"type": ["number", "string"], "examples": [200, "200/s", "1200/m"]}),
]
"""Requests per second; written as a number, ``N/s`` or ``N/m``."""

Probability = Annotated[
    float,
    BeforeValidator(parse_probability),
    WithJsonSchema({"type": ["number", "string"], "examples": [0.001, "0.1%"]}),
]
"""A probability in [0, 1]; written as a number or a percent string."""
