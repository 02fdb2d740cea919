"""Parameter sweeps (SPEC §15): one or two fields over a list or a range of values.

Every combination of values is a *point*: the scenario with those ``--set`` overrides
(:mod:`meshsim.files.overrides`), simulated in one phase. All points run in one
:func:`~meshsim.sim.runner.run_many` batch on the same random streams (common random
numbers), so differences between points are the parameter's, not noise. When every
parameter lies under ``rollout.`` the points share the scenario's compiled model and
differ only in their phase plans.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np
import yaml

from meshsim.errors import Problem, ScenarioError
from meshsim.files.overrides import Override, apply_overrides
from meshsim.rollout.state import resolve_phase
from meshsim.sim.runner import RunRequest, run_many
from models import Scenario, format_duration, parse_duration
from models.results import PhaseResult
from models.sweep import SweepBest, SweepPoint, SweepResults

__all__ = ["Param", "best_point", "parse_param", "parse_values", "sweep"]

MAX_POINTS = 400


@dataclass(frozen=True)
class Param:
    """A swept field: its path and the values it takes (plain YAML data)."""

    path: str
    values: tuple[Any, ...]


def _split(text: str) -> list[str]:
    """Split on commas outside brackets and quotes (``[5xx, reset],[reset]`` is two)."""
    parts, depth, quote, current = [], 0, "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
    parts.append(current)
    return [p.strip() for p in parts]


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def _range(text: str) -> tuple[Any, ...]:
    ends, _, count_text = text.rpartition(":")
    low_text, _, high_text = ends.partition("..")
    try:
        count = int(count_text)
    except ValueError:
        raise ValueError(f"{text!r}: a range is LOW..HIGH:COUNT (e.g. 10ms..500ms:8)") from None
    if count < 2:
        raise ValueError(f"{text!r}: a range needs at least 2 values")
    low, high = yaml.safe_load(low_text), yaml.safe_load(high_text)
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (low, high))
    if not numeric:
        try:
            low, high = parse_duration(low_text), parse_duration(high_text)
        except ValueError as err:
            raise ValueError(f"{text!r}: the ends must be numbers or durations ({err})") from None
    spaced = (
        np.geomspace(low, high, count)
        if low > 0 and high > 0 and max(low, high) / min(low, high) >= 10
        else np.linspace(low, high, count)
    )
    if not numeric:
        return tuple(format_duration(_round(float(v))) for v in spaced)
    if isinstance(low, int) and isinstance(high, int):
        return tuple(dict.fromkeys(int(round(v)) for v in spaced))
    return tuple(_round(float(v)) for v in spaced)


def parse_values(text: str) -> tuple[Any, ...]:
    """``V1,V2,...`` (each YAML) or a range ``LOW..HIGH:COUNT``.

    A range is log-spaced when both ends are > 0 and their ratio is ≥ 10, else evenly
    spaced; whole-number ends give whole numbers (repeats dropped).

    Examples
    --------
    >>> parse_values("10ms..1s:3")
    ('10ms', '100ms', '1s')
    >>> parse_values("0..3:4")
    (0, 1, 2, 3)
    >>> parse_values("50ms,100ms,none")
    ('50ms', '100ms', 'none')
    """
    if ".." in text and "," not in text and ":" in text:
        return _range(text)
    return tuple(yaml.safe_load(part) for part in _split(text))


def parse_param(text: str) -> Param:
    """``PATH=VALUES`` as a :class:`Param`."""
    path, sep, values = text.partition("=")
    if not sep or not path.strip() or not values.strip():
        raise ValueError(f"{text!r}: expected PATH=V1,V2,... or PATH=LOW..HIGH:COUNT")
    return Param(path.strip(), parse_values(values))


def _points(params: Sequence[Param]) -> list[dict[str, Any]]:
    return [
        dict(zip([p.path for p in params], combo, strict=True))
        for combo in itertools.product(*(p.values for p in params))
    ]


def _scenarios(
    text: str, file: str, sets: Sequence[Override], points: list[dict[str, Any]]
) -> list[Scenario]:
    out = []
    for values in points:
        overrides = [*sets, *(Override(k, v, str(v)) for k, v in values.items())]
        try:
            out.append(apply_overrides(text, file, overrides))
        except ScenarioError as err:
            shown = ", ".join(f"{k}={v}" for k, v in values.items())
            problems = [Problem("", f"sweep point {shown}: {p.message}") for p in err.problems]
            raise ScenarioError(file, problems) from err
    return out


def _point(values: dict[str, Any], phase: PhaseResult) -> SweepPoint:
    entries = phase.entrypoints
    p99s = [e.latency_ms.p99 for e in entries.values() if e.latency_ms.p99 is not None]
    return SweepPoint(
        values=values,
        entrypoints=entries,
        retry_amplification=phase.retry_amplification,
        proxy_cpu_cores=phase.proxy_cpu_cores,
        slo_met=all(e.slo_met for e in entries.values()),
        good_rate=sum(e.good_rate for e in entries.values()) / max(1, len(entries)),
        p99_ms=max(p99s) if p99s else None,
    )


def _shown(values: dict[str, Any]) -> str:
    return ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in values.items())


def best_point(points: Sequence[SweepPoint]) -> SweepBest:
    """The point meeting every SLO with the highest goodRate; ties: lower amplification, p99."""
    meeting = [p for p in points if p.slo_met]
    if not meeting:
        top = max(points, key=lambda p: p.good_rate)
        return SweepBest(
            values=None,
            why=f"no point meets every SLO; the highest goodRate is {top.good_rate:.2%} "
            f"at {_shown(top.values)}",
        )

    def key(p: SweepPoint) -> tuple[float, float, float]:
        return (-p.good_rate, p.retry_amplification, p.p99_ms if p.p99_ms is not None else 0.0)

    ranked = sorted(meeting, key=key)
    best = ranked[0]
    why = (
        f"meets every SLO ({len(meeting)} of {len(points)} points do) with the highest "
        f"goodRate, {best.good_rate:.2%}"
    )
    ties = [p for p in ranked[1:] if math.isclose(p.good_rate, best.good_rate, abs_tol=1e-12)]
    if ties:
        why += (
            f"; tied with {len(ties)} other point(s) on goodRate, it has the lowest retry "
            f"amplification ({best.retry_amplification:.3f}) and then p99 "
            f"({best.p99_ms:.1f} ms)"
        )
    return SweepBest(values=best.values, why=why)


def _requests(
    text: str, file: str, params: Sequence[Param], sets: Sequence[Override], phase
) -> tuple[list[dict[str, Any]], list[RunRequest]]:
    """The points and one run request per point (sharing the model where possible)."""
    if not 1 <= len(params) <= 2:
        raise ScenarioError(file, [Problem("", "a sweep takes one or two --param")])
    points = _points(params)
    if len(points) > MAX_POINTS:
        message = f"{len(points)} sweep points; at most {MAX_POINTS} (use fewer values)"
        raise ScenarioError(file, [Problem("", message)])
    base = apply_overrides(text, file, sets)
    index = resolve_phase(base, phase)
    scenarios = _scenarios(text, file, sets, points)
    if all(p.path.startswith("rollout.") for p in params):
        # only the plan changes: one compiled model, a plan per point
        return points, [RunRequest(base, tuple(s.rollout.phases), (index,)) for s in scenarios]
    return points, [RunRequest(s, phase_indexes=(index,)) for s in scenarios]


def sweep(
    text: str,
    file: str,
    params: Sequence[Param],
    *,
    sets: Sequence[Override] = (),
    phase: int | str | None = None,
    workers: int | None = None,
    executor: Executor | None = None,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_point: Callable[[int, SweepPoint], None] | None = None,
    batch: int | None = None,
) -> SweepResults:
    """Simulate one phase at every combination of the parameters' values.

    Parameters
    ----------
    text, file : str
        The scenario's text and its name (for errors).
    params : sequence of Param
        One or two parameters.
    sets : sequence of Override
        ``--set`` overrides applied at every point.
    phase : int or str, optional
        Phase name or index (0 = baseline); default the last one.
    workers, executor, on_progress, should_stop
        As for :func:`~meshsim.sim.runner.run_many`.
    on_point : callable, optional
        Called with (index, point) as each point is done (the app draws them as they come).
    batch : int, optional
        Points simulated together (default all: the most parallel); smaller batches let
        ``on_point`` report sooner. The results do not depend on it.
    """
    points, requests = _requests(text, file, params, sets, phase)
    size = len(requests) if batch is None else max(1, batch)
    swept: list[SweepPoint] = []
    for start in range(0, len(requests), size):
        chunk = requests[start : start + size]

        def progress(frac: float, start: int = start, n: int = len(chunk)) -> None:
            if on_progress is not None:
                on_progress((start + frac * n) / len(requests))

        results = run_many(
            chunk,
            workers=workers,
            executor=executor,
            on_progress=progress,
            should_stop=should_stop,
        )
        for offset, r in enumerate(results):
            point = _point(points[start + offset], r.phases[0])
            swept.append(point)
            if on_point is not None:
                on_point(start + offset, point)
    return SweepResults(
        params=[p.path for p in params],
        phase=results[0].phases[0].name,
        replications=results[0].replications,
        points=swept,
        best=best_point(swept),
    )
