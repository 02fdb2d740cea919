"""The time series of one phase (SPEC §14), read for the replay: values at a time t.

The series arrive as the results document has them (camelCase JSON, or the model that
dumps to it); this module keeps them as numpy arrays and answers the replay's questions
cheaply: which bucket holds t, each edge's rate, failure share and tries per request in
that bucket, the charts' rows. No Qt here, so tests can check the arithmetic alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models import Scenario

__all__ = ["EdgeSeries", "PhaseSeries", "Window", "series_of", "windows_of"]

TRIES_SHOWN_ABOVE = 1.5
"""An edge shows its tries per request (attempts / calls) only above this."""


def series_of(phase: Any) -> dict | None:
    """The ``series`` of a phase result in its JSON form (camelCase), or None.

    Works for a dict (a results document read as JSON) and for a pydantic result
    whose ``series`` is a model (dumped by alias) or already a dict.
    """
    series = phase.get("series") if isinstance(phase, dict) else getattr(phase, "series", None)
    if series is None or isinstance(series, dict):
        return series
    return series.model_dump(by_alias=True)


@dataclass
class EdgeSeries:
    """One call arrow over time: the graph's edge key and its per-bucket counts."""

    key: tuple[str, str]
    """(caller, callee) as the graph keys its arrows: entrypoint callers as ``@name``."""
    calls: np.ndarray
    attempts: np.ndarray
    failures: np.ndarray

    @property
    def label(self) -> str:
        return f"{self.key[0].removeprefix('@')} → {self.key[1]}"


def _array(values: Any, size: int, *, gaps: bool = False) -> np.ndarray:
    """``values`` as ``size`` floats; a missing value (None) is 0, or NaN with ``gaps``.

    Latencies of a bucket without requests are None: NaN leaves a gap in a chart.
    """
    data = np.full(size, np.nan if gaps else 0.0)
    given = np.asarray(values if values is not None else [], dtype=float)[:size]
    data[: len(given)] = given if gaps else np.nan_to_num(given)
    return data


@dataclass
class PhaseSeries:
    """A phase's series, indexed for fast look-ups at a time t."""

    bucket_s: float
    t: np.ndarray
    entrypoints: dict[str, dict[str, np.ndarray]]
    services: dict[str, dict[str, np.ndarray]]
    edges: list[EdgeSeries]
    peak_rate: float = field(init=False)
    """Highest calls per second of any edge in any bucket: the widest arrow."""
    _requests: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        peaks = [float(e.calls.max()) for e in self.edges if len(e.calls)]
        self.peak_rate = max(peaks, default=0.0) / self.bucket_s
        self._requests = sum(
            (m.get("requests", 0.0) for m in self.entrypoints.values()), np.zeros(self.size)
        )
        empty = np.zeros((0, self.size))
        self._matrix = {
            metric: np.vstack([getattr(e, metric) for e in self.edges]) if self.edges else empty
            for metric in ("calls", "attempts", "failures")
        }

    @classmethod
    def from_json(cls, series: dict, scenario: Scenario | None = None) -> PhaseSeries:
        """Read SPEC §14's ``series``; edge callers become the graph's keys.

        An edge's ``from`` that names an entrypoint (and not a service calling the
        same callee) is that entrypoint's client, keyed ``@name`` as in the graph.
        """
        t = np.asarray(series.get("t", []), dtype=float)
        size = len(t)

        def block(named: dict) -> dict[str, dict[str, np.ndarray]]:
            return {
                name: {
                    metric: _array(values, size, gaps=metric.endswith("Ms"))
                    for metric, values in metrics.items()
                }
                for name, metrics in (named or {}).items()
            }

        entry_names = {e.name for e in scenario.entrypoints} if scenario else set()
        services = {s.name for s in scenario.services} if scenario else set()
        edges = []
        for edge in series.get("edges", []):
            caller = edge["from"]
            if not caller.startswith("@") and caller in entry_names and caller not in services:
                caller = "@" + caller
            edges.append(
                EdgeSeries(
                    (caller, edge["to"]),
                    *(_array(edge.get(k), size) for k in ("calls", "attempts", "failures")),
                )
            )
        return cls(
            float(series.get("bucketS", 1.0)) or 1.0,
            t,
            block(series.get("entrypoints", {})),
            block(series.get("services", {})),
            edges,
        )

    # --- time -------------------------------------------------------------------------

    @property
    def size(self) -> int:
        return len(self.t)

    @property
    def end_s(self) -> float:
        """End of the last bucket: the replay runs from 0 to here."""
        return float(self.t[-1]) + self.bucket_s if self.size else 0.0

    def bucket(self, t: float) -> int:
        """Index of the bucket holding time ``t`` (clamped to the series)."""
        if not self.size:
            return 0
        index = int(np.searchsorted(self.t, t, side="right")) - 1
        return max(0, min(self.size - 1, index))

    # --- values -----------------------------------------------------------------------

    def edge_at(self, edge: EdgeSeries, index: int) -> tuple[float, float, float]:
        """(calls per second, failure share, tries per request) in bucket ``index``."""
        calls = float(edge.calls[index])
        rate = calls / self.bucket_s
        if calls <= 0:
            return rate, 0.0, 0.0
        return (
            rate,
            min(1.0, float(edge.failures[index]) / calls),
            float(edge.attempts[index]) / calls,
        )

    def edges_at(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``edge_at`` for every edge at once (in ``edges`` order), as arrays."""
        calls = self._matrix["calls"][:, index]
        some = calls > 0
        safe = np.where(some, calls, 1.0)
        shares = np.where(some, np.minimum(1.0, self._matrix["failures"][:, index] / safe), 0.0)
        tries = np.where(some, self._matrix["attempts"][:, index] / safe, 0.0)
        return calls / self.bucket_s, shares, tries

    def service_at(self, name: str, index: int) -> tuple[float, float, float]:
        """(utilization, mean queue, ejected replicas) of ``name`` in bucket ``index``."""
        metrics = self.services.get(name, {})

        def value(metric: str) -> float:
            values = metrics.get(metric)
            return float(values[index]) if values is not None else 0.0

        return value("utilization"), value("queued"), value("ejected")

    def tries_per_request(self, name: str, index: int) -> float:
        """Tries at ``name`` per request entering the system in bucket ``index``."""
        requests = self._entry_requests()[index]
        attempts = self.services.get(name, {}).get("attempts")
        if attempts is None or requests <= 0:
            return 0.0
        return float(attempts[index]) / float(requests)

    def normal_tries(self, name: str) -> float:
        """The usual tries at ``name`` per entry request (median over the run)."""
        requests = self._entry_requests()
        attempts = self.services.get(name, {}).get("attempts")
        if attempts is None or not (requests > 0).any():
            return 0.0
        return float(np.median(attempts[requests > 0] / requests[requests > 0]))

    def _entry_requests(self) -> np.ndarray:
        return self._requests

    # --- chart rows -------------------------------------------------------------------

    def entry_p99_ms(self, name: str) -> np.ndarray:
        return self.entrypoints[name].get("p99Ms", np.zeros(self.size))

    def entry_success(self, name: str) -> np.ndarray:
        """Share of the bucket's requests that ended ok (NaN where there were none)."""
        metrics = self.entrypoints[name]
        requests = metrics.get("requests", np.zeros(self.size))
        ok = metrics.get("ok", np.zeros(self.size))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(requests > 0, ok / requests, np.nan)

    def busiest_edges(self, count: int) -> list[EdgeSeries]:
        """The ``count`` edges with the most attempts in their busiest bucket."""
        ranked = sorted(self.edges, key=lambda e: -float(e.attempts.max(initial=0.0)))
        return [e for e in ranked[:count] if e.attempts.max(initial=0.0) > 0]

    def longest_queues(self, count: int) -> list[str]:
        """The ``count`` services whose queue grows longest (only those with a queue)."""
        peaks = {
            name: float(m["queued"].max(initial=0.0))
            for name, m in self.services.items()
            if "queued" in m
        }
        ranked = sorted(peaks, key=lambda n: -peaks[n])
        return [n for n in ranked[:count] if peaks[n] > 0]


@dataclass(frozen=True)
class Window:
    """A span of simulated time to shade on the charts: a fault or a load change."""

    start_s: float
    end_s: float
    label: str
    kind: str
    """``fault``, ``load`` or ``warmup``."""


def _get(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def _load_windows(entry: Any, end_s: float) -> list[Window]:
    """The load changes of an entrypoint (SPEC §14 ``load``), if the scenario has them."""
    load = _get(entry, "load")
    if not load:
        return []
    name = _get(entry, "name")
    if not isinstance(load, list | tuple):  # a shorthand: only a spike is a window
        at, duration = _get(load, "at"), _get(load, "duration")
        if _get(load, "shape") == "spike" and at is not None:
            return [Window(float(at), float(at) + float(duration or 0), f"{name} spike", "load")]
        return []
    windows = []
    for point in load:
        at = _get(point, "at")
        if at is None:
            continue
        ramp = float(_get(point, "ramp") or 0.0)
        rate = _get(point, "rate")
        label = f"{name} → {rate:g}/s" if isinstance(rate, int | float) else f"{name} load"
        windows.append(Window(float(at), min(end_s, float(at) + ramp), label, "load"))
    return windows


def windows_of(scenario: Scenario | None, end_s: float) -> list[Window]:
    """Warm-up, fault windows and load changes of ``scenario`` up to ``end_s``."""
    if scenario is None:
        return []
    windows = []
    warmup = float(_get(scenario.simulation, "warmup") or 0.0)
    if warmup > 0:
        windows.append(Window(0.0, min(warmup, end_s), "warm-up", "warmup"))
    for fault in scenario.faults:
        until = end_s if fault.duration is None else fault.start + fault.duration
        windows.append(
            Window(fault.start, min(until, end_s), f"{fault.service} {fault.type}", "fault")
        )
    for entry in scenario.entrypoints:
        windows.extend(_load_windows(entry, end_s))
    return windows
