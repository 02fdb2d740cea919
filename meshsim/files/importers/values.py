"""Numbers, durations, rates and names as importers read and write them.

Importers work in milliseconds and requests per second; this module turns those
into the strings of the scenario format (SPEC §1) and parses the duration syntaxes
found in the wild (Go's ``1m30s``, protobuf's ``1.5s``, isotope's ``10ms``).
"""

from __future__ import annotations

import math
import re

__all__ = [
    "dns_label",
    "format_duration_ms",
    "format_rate",
    "parse_duration_ms",
    "parse_percent",
    "parse_rate",
    "round_sig",
]

_GO_UNITS_MS = {
    "ns": 1e-6,
    "us": 1e-3,
    "µs": 1e-3,
    "μs": 1e-3,
    "ms": 1.0,
    "s": 1000.0,
    "m": 60_000.0,
    "h": 3_600_000.0,
}
_NUM = r"(?:\d+(?:\.\d*)?|\.\d+)"
_GO_PART = re.compile(rf"({_NUM})(ns|us|µs|μs|ms|s|m|h)")
_GO_DURATION = re.compile(rf"^(?:{_NUM}(?:ns|us|µs|μs|ms|s|m|h))+$")
_RATE = re.compile(rf"^\s*({_NUM}(?:[eE][+-]?\d+)?)\s*(?:/\s*(s|m))?\s*$")
_PERCENT = re.compile(rf"^\s*({_NUM})\s*%\s*$")
_NOT_LABEL = re.compile(r"[^a-z0-9-]+")


def round_sig(value: float, digits: int = 4) -> float:
    """Round to ``digits`` significant digits.

    Examples
    --------
    >>> round_sig(0.123456)
    0.1235
    >>> round_sig(30489.0)
    30490.0
    """
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def _num(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def format_duration_ms(ms: float, digits: int = 4) -> str:
    """Write a duration given in milliseconds with a unit, rounded to ``digits``.

    Examples
    --------
    >>> format_duration_ms(12.5)
    '12.5ms'
    >>> format_duration_ms(7000)
    '7s'
    >>> format_duration_ms(0.25)
    '250us'
    """
    ms = round_sig(max(ms, 0.0), digits)
    if ms == 0:
        return "0ms"
    if ms >= 1000:
        return f"{_num(round_sig(ms / 1000, digits))}s"
    if ms >= 1:
        return f"{_num(ms)}ms"
    return f"{_num(round_sig(ms * 1000, digits))}us"


def format_rate(rps: float) -> str:
    """Write a rate as ``N/s`` with 4 significant digits.

    Examples
    --------
    >>> format_rate(100)
    '100/s'
    """
    return f"{_num(round_sig(rps))}/s"


def parse_duration_ms(text: object) -> float:
    """Parse a Go or protobuf duration (``1m30s``, ``1.5s``, ``250ms``) into milliseconds.

    Raises
    ------
    ValueError
        When the text is not such a duration.

    Examples
    --------
    >>> parse_duration_ms("1m30s")
    90000.0
    >>> parse_duration_ms("0.5s")
    500.0
    """
    if not isinstance(text, str):
        raise ValueError(f"expected a duration like '250ms', got {text!r}")
    compact = text.strip().replace(" ", "")
    if not _GO_DURATION.match(compact):
        raise ValueError(f"expected a duration like '250ms' or '1.5s', got {text!r}")
    total = sum(float(n) * _GO_UNITS_MS[u] for n, u in _GO_PART.findall(compact))
    if not math.isfinite(total):
        raise ValueError(f"duration {text!r} is too large")
    return total


def parse_rate(text: object) -> float:
    """Parse a SPEC rate (``200``, ``200/s``, ``1200/m``) into requests per second.

    Raises
    ------
    ValueError
        When the text is not a positive rate.

    Examples
    --------
    >>> parse_rate("1200/m")
    20.0
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        rate = float(text)
    else:
        match = _RATE.match(str(text))
        if not match:
            raise ValueError(f"expected a rate like 200, '200/s' or '1200/m', got {text!r}")
        rate = float(match.group(1)) / (60.0 if match.group(2) == "m" else 1.0)
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"a rate must be a number > 0, got {text!r}")
    return rate


def parse_percent(value: object) -> float:
    """Parse ``"0.01%"`` (a percent string) or a number in [0, 1] into a fraction.

    Raises
    ------
    ValueError
        When the value is neither, or out of range.

    Examples
    --------
    >>> parse_percent("5%")
    0.05
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        fraction = float(value)
    elif isinstance(value, str) and (match := _PERCENT.match(value)):
        fraction = float(match.group(1)) / 100
    else:
        raise ValueError(f"expected a percentage like '0.1%' or a number 0-1, got {value!r}")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"a percentage must be between 0% and 100%, got {value!r}")
    return fraction


def dns_label(raw: str, fallback: str = "service") -> str:
    """Turn any name into a DNS-1123 label: lowercase, ``[a-z0-9-]``, at most 63 characters.

    Examples
    --------
    >>> dns_label("Service A")
    'service-a'
    >>> dns_label("yelp_main/api_proxy")
    'yelp-main-api-proxy'
    """
    label = _NOT_LABEL.sub("-", raw.lower()).strip("-")
    label = re.sub("-{2,}", "-", label)[:63].strip("-")
    return label or fallback
