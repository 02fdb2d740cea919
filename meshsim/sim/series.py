"""Time series of a run (SPEC §14): counts and time averages per bucket of ``series`` s.

Recording is a different recorder, chosen once when a simulation is set up
(:class:`meshsim.sim.engine.Simulation`): without ``series`` the engine records into
the plain :class:`~meshsim.sim.recorder.Recorder` and pays nothing for this module.
With it, a :class:`SeriesRecorder` records measured requests as the plain one does and
every request (warm-up included) into a :class:`SeriesTap`.

What goes in which bucket:

- entrypoints: a request counts in the bucket of its **arrival** (requests, ok,
  failed = requests - ok, so unfinished ones are failed; p50/p99 over those of the
  bucket that finished, in ms);
- services and edges: counts in the bucket of **when it happened** (a try's start for
  ``attempts``, its end for ``rejected`` and ``timeouts``, a call's start for
  ``calls`` and its end for ``failures``); what happens after ``duration`` (the
  drain) is in no bucket;
- ``inFlight`` / ``queued``: time averages over the bucket of the requests at the
  service's replicas (holding a worker or waiting for one) / waiting; ``utilization``:
  busy worker time / worker capacity of the bucket; ``ejected``: replicas of the
  service that at least one calling proxy has ejected at the bucket's end.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING

import numpy as np
import simpy

from meshsim.sim.clientview import MAX_EJECTION_S, ClientView
from meshsim.sim.outcomes import REJECTED, Outcome, flags
from meshsim.sim.recorder import Recorder
from meshsim.sim.samples import SeriesSample

if TYPE_CHECKING:
    from meshsim.sim.compile import PhasePlan
    from meshsim.sim.engine import Simulation
    from meshsim.sim.model import Model, Request

__all__ = ["SeriesRecorder", "SeriesTap", "ejected_at"]

_OK, _TIMEOUT = Outcome.OK, Outcome.TIMEOUT
_REJECTED = flags(REJECTED)


class _EdgeSeries:
    __slots__ = ("calls", "attempts", "failures")

    def __init__(self, n: int) -> None:
        self.calls = [0] * n
        self.attempts = [0] * n
        self.failures = [0] * n


class SeriesTap:
    """Per-bucket counts of every request; the engine calls it like a recorder."""

    def __init__(self, sim: Simulation, width_s: float) -> None:
        model = sim.model
        self.env = sim.env
        self.model = model
        self.width = width_s
        self.inv = 1.0 / width_s
        self.buckets = nb = max(1, math.ceil(model.duration / width_s - 1e-9))
        self.n = len(model.services)
        entries, services = len(model.entrypoints), len(model.services)
        self.requests = [[0] * nb for _ in range(entries)]
        self.ok = [[0] * nb for _ in range(entries)]
        self.latency: list[list[list[float]]] = [[[] for _ in range(nb)] for _ in range(entries)]
        self.rejected = [[0] * nb for _ in range(services)]
        self.timeouts = [[0] * nb for _ in range(services)]
        self.edges: dict[int, _EdgeSeries] = {}

    def _edge(self, client: int, server: int) -> _EdgeSeries:
        key = client * self.n + server
        edge = self.edges.get(key)
        if edge is None:
            edge = self.edges[key] = _EdgeSeries(self.buckets)
        return edge

    def entry_started(self, req: Request) -> None:
        """An entry request arrived: it counts in the bucket of its arrival."""
        i = int(req.start * self.inv)
        if i < self.buckets:
            self.requests[req.entry][i] += 1

    def entry_done(self, req: Request, outcome: Outcome, now: float) -> None:
        """An entry request ended: ok and latency go to its arrival's bucket."""
        i = int(req.start * self.inv)
        if i < self.buckets:
            if outcome == _OK:
                self.ok[req.entry][i] += 1
            self.latency[req.entry][i].append(now - req.start)

    def logical_call(self, client: int, server: int, cmeshed: bool) -> None:
        """A logical call starts now."""
        i = int(self.env.now * self.inv)
        if i < self.buckets:
            self._edge(client, server).calls[i] += 1

    def call_failed(self, client: int, server: int) -> None:
        """A logical call ended not ok now."""
        i = int(self.env.now * self.inv)
        if i < self.buckets:
            self._edge(client, server).failures[i] += 1

    def attempt_started(self, client: int, server: int, cmeshed: bool, mtls: bool) -> None:
        """A try addressed to ``server`` starts now."""
        i = int(self.env.now * self.inv)
        if i < self.buckets:
            self._edge(client, server).attempts[i] += 1

    def attempt_ended(self, server: int, outcome: Outcome, latency_s: float | None) -> None:
        """A try ended now."""
        if outcome == _TIMEOUT:
            self.timeout(server)
        elif _REJECTED[outcome]:
            i = int(self.env.now * self.inv)
            if i < self.buckets:
                self.rejected[server][i] += 1

    def timeout(self, server: int) -> None:
        """A timeout on a call or try to ``server`` fired now."""
        i = int(self.env.now * self.inv)
        if i < self.buckets:
            self.timeouts[server][i] += 1

    app_timeout = route_timeout = timeout

    def breakage(self, client: int, server: int) -> None:
        """Nothing per bucket (refusals count as ``rejected`` when the try ends)."""

    def reached(self, client: int, server: int, cmeshed: bool, smeshed: bool) -> None:
        """Nothing per bucket."""

    def denial(self, client: int, server: int) -> None:
        """Nothing per bucket (a 403 counts as the edge's failure when the call ends)."""

    def mtls_attempt(self, client: int, server: int) -> None:
        """Nothing per bucket."""

    def replica_group(self, server: int, meshed: bool, outcome: Outcome) -> None:
        """Nothing per bucket (canary groups are end-of-run figures)."""


class SeriesRecorder(Recorder):
    """A :class:`Recorder` of the measured requests that also keeps the time series.

    Parameters
    ----------
    model, plan
        As for :class:`Recorder`.
    sim : Simulation
        The simulation it records (its clock, replicas and proxies).
    """

    def __init__(self, model: Model, plan: PhasePlan, sim: Simulation) -> None:
        super().__init__(model, plan)
        width = model.series_s
        assert width is not None
        self.sim = sim
        self.tap = tap = SeriesTap(sim, width)
        # the tap's clock and arrays, read by the hot hooks without a second lookup
        self.env, self.inv, self.buckets = tap.env, tap.inv, tap.buckets
        self.series_edges = tap.edges
        nb, services = tap.buckets, len(model.services)
        self.busy_b = [[0.0] * nb for _ in range(services)]
        self.wait_b = [[0.0] * nb for _ in range(services)]
        self.ejected_b = [[0.0] * nb for _ in range(services)]
        self.flushed = 0  # buckets whose end-of-bucket ejections are taken
        # destinations whose policy ejects outliers in this phase: without any, nothing
        # is ever ejected and no bucket needs a look at the proxies
        self.detected = [
            i for i, p in enumerate(plan.policies) if p is not None and p.outlier is not None
        ]
        if self.detected:
            sim.env.process(self._flush())
        else:
            self.flushed = nb

    # Measured requests: the totals, then the series. The series part is written out
    # here rather than calling the tap: one Python call less per hook keeps the cost of
    # series within its budget (benchmarks/series.py).
    def entry_started(self, req: Request) -> None:  # noqa: D102
        Recorder.entry_started(self, req)
        self.tap.entry_started(req)

    def entry_done(self, req: Request, outcome: Outcome, now: float) -> None:  # noqa: D102
        Recorder.entry_done(self, req, outcome, now)
        self.tap.entry_done(req, outcome, now)

    def logical_call(self, client: int, server: int, cmeshed: bool) -> None:  # noqa: D102
        Recorder.logical_call(self, client, server, cmeshed)
        i = int(self.env.now * self.inv)
        if i < self.buckets:
            edge = self.series_edges.get(client * self.n + server)
            if edge is None:
                edge = self.tap._edge(client, server)
            edge.calls[i] += 1

    def call_failed(self, client: int, server: int) -> None:  # noqa: D102
        Recorder.call_failed(self, client, server)
        self.tap.call_failed(client, server)

    def attempt_started(  # noqa: D102
        self, client: int, server: int, cmeshed: bool, mtls: bool
    ) -> None:
        Recorder.attempt_started(self, client, server, cmeshed, mtls)
        i = int(self.env.now * self.inv)
        if i < self.buckets:  # a service's attempts are its incoming edges' (_sample)
            edge = self.series_edges.get(client * self.n + server)
            if edge is None:
                edge = self.tap._edge(client, server)
            edge.attempts[i] += 1

    def attempt_ended(  # noqa: D102
        self, server: int, outcome: Outcome, latency_s: float | None
    ) -> None:
        Recorder.attempt_ended(self, server, outcome, latency_s)
        if outcome != _OK:
            self.tap.attempt_ended(server, outcome, latency_s)

    def app_timeout(self, server: int) -> None:  # noqa: D102
        Recorder.app_timeout(self, server)
        self.tap.timeout(server)

    def route_timeout(self, server: int) -> None:  # noqa: D102
        Recorder.route_timeout(self, server)
        self.tap.timeout(server)

    def busy(self, server: int, start: float, end: float, arrived: float | None = None) -> None:
        """Busy and waiting time of a worker of ``server``, spread over the buckets."""
        # Recorder.busy written out: the totals clipped to the measurement window
        lo = start if start > self.window_start else self.window_start
        hi = end if end < self.window_end else self.window_end
        if hi > lo:
            self.busy_s[server] += hi - lo
        inv = self.inv
        i = int(start * inv)
        if i == int(end * inv) and i < self.buckets:  # within one bucket: most of them
            self.busy_b[server][i] += end - start
        else:
            self._spread(self.busy_b[server], start, end)
        if arrived is not None and arrived < start:
            self._spread(self.wait_b[server], arrived, start)

    def _spread(self, into: list[float], start: float, end: float) -> None:
        width, nb = self.tap.width, self.tap.buckets
        i = int(start * self.inv)
        while i < nb and start < end:
            edge = min(end, (i + 1) * width)
            into[i] += edge - start
            start = edge
            i += 1

    # --- ejections at each bucket's end ------------------------------------------------

    def _flush(self) -> Generator[simpy.Event, None, None]:
        env, width, nb = self.sim.env, self.tap.width, self.tap.buckets
        while self.flushed < nb:
            yield env.timeout(max(0.0, width * (self.flushed + 1) - env.now))
            self._take_ejections(env.now, self.flushed + 1)

    def _take_ejections(self, now: float, due: int) -> None:
        """Buckets up to ``due`` (exclusive) end with the ejections of ``now``."""
        counts = [0] * len(self.model.services)
        for server, views in _views_by_server(self.sim, self.detected):
            out: set[int] = set()
            for view in views:
                if view.ejected_count:
                    out.update(i for i in range(view.replicas) if ejected_at(view, i, now))
            counts[server] = len(out)
        for b in range(self.flushed, due):
            for server, count in enumerate(counts):
                self.ejected_b[server][b] = count
        self.flushed = due

    def finish(self, now: float) -> None:
        """Close the run; buckets not flushed yet take the ejections of now."""
        tap = self.tap
        for req in self.open:  # measured requests never finished: latency until now
            i = int(req.start * tap.inv)
            if i < tap.buckets:
                tap.latency[req.entry][i].append(now - req.start)
        if self.flushed < tap.buckets:
            self._take_ejections(max(now, self.model.duration), tap.buckets)
        super().finish(now)

    # --- reading -----------------------------------------------------------------------

    def series(self) -> SeriesSample:
        """The whole series of this run (call after :meth:`finish`)."""
        return _sample(self, self.tap.buckets)

    def completed(self, now: float | None = None) -> SeriesSample:
        """The buckets that ended by ``now`` (default the simulation's clock).

        A running job can report these while it goes on: requests that arrived in a
        completed bucket but are still running count as failed there until they end.
        """
        tap = self.tap
        now = self.sim.env.now if now is None else now
        upto = min(tap.buckets, int(now * tap.inv + 1e-9))
        return _sample(self, upto)


def ejected_at(view: ClientView, replica: int, now: float) -> bool:
    """Whether ``view`` has ``replica`` ejected at ``now``, without changing the view.

    The detector returns hosts on its interval ticks only when an outcome is recorded
    (:meth:`ClientView.record`); this finds the tick that returns it (Envoy's timer).
    """
    if not view.ejected[replica]:
        return False
    od = view.policy.outlier
    assert od is not None
    back = view.ejected_at[replica] + min(
        od.base_ejection_s * view.multiplier[replica], MAX_EJECTION_S
    )
    tick, interval = view.next_tick, od.interval_s
    if back > tick + 1e-9:
        tick += math.ceil((back - tick - 1e-9) / interval) * interval
    return tick > now + 1e-9


def _views_by_server(sim: Simulation, servers: list[int]) -> Iterator[tuple[int, list[ClientView]]]:
    """The proxies' views of each of ``servers`` that run outlier detection."""
    proxies = [*sim.entry_views, sim.waypoint_views]
    proxies += [r.views for replicas in sim.replicas for r in replicas if r.views]
    for server in servers:
        views = [v for proxy in proxies if (v := proxy.get(server)) is not None and v.detector]
        yield server, views


def _sample(rec: SeriesRecorder, upto: int) -> SeriesSample:
    tap, model = rec.tap, rec.model
    width = tap.width
    t = [i * width for i in range(upto)]
    spans = np.array([min(width, model.duration - x) for x in t])
    entries = {}
    for e, entry in enumerate(model.entrypoints):
        requests = tap.requests[e][:upto]
        ok = tap.ok[e][:upto]
        p50, p99 = [], []
        for lat in tap.latency[e][:upto]:
            if lat:
                q50, q99 = np.percentile(np.asarray(lat) * 1000.0, [50, 99])
                p50.append(float(q50))
                p99.append(float(q99))
            else:
                p50.append(None)
                p99.append(None)
        entries[entry.name] = {
            "requests": [float(x) for x in requests],
            "ok": [float(x) for x in ok],
            "failed": [float(r - k) for r, k in zip(requests, ok, strict=True)],
            "p50Ms": p50,
            "p99Ms": p99,
        }
    attempts = np.zeros((len(model.services), upto))
    for key, edge in tap.edges.items():  # a service's attempts: those of its incoming edges
        attempts[key % tap.n] += edge.attempts[:upto]
    services = {}
    for s, service in enumerate(model.services):
        workers = service.replicas * service.concurrency
        busy = np.array(rec.busy_b[s][:upto])
        wait = np.array(rec.wait_b[s][:upto])
        services[service.name] = {
            "attempts": attempts[s].tolist(),
            "rejected": [float(x) for x in tap.rejected[s][:upto]],
            "timeouts": [float(x) for x in tap.timeouts[s][:upto]],
            "inFlight": ((busy + wait) / spans).tolist(),
            "queued": (wait / spans).tolist(),
            "utilization": (busy / (spans * workers)).tolist(),
            "ejected": [float(x) for x in rec.ejected_b[s][: min(upto, rec.flushed)]]
            + [0.0] * max(0, upto - rec.flushed),
        }
    edges = {}
    for key in sorted(tap.edges):
        client, server = divmod(key, tap.n)
        edge = tap.edges[key]
        edges[(model.client_name(client), model.names[server])] = {
            "calls": [float(x) for x in edge.calls[:upto]],
            "attempts": [float(x) for x in edge.attempts[:upto]],
            "failures": [float(x) for x in edge.failures[:upto]],
        }
    return SeriesSample(width, t, entries, services, edges)
