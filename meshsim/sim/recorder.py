"""Cheap records kept during one simulated phase: counters and lists of floats.

Only requests that arrive in the measurement window are recorded (the engine
checks ``req.measured`` before calling in here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from meshsim.sim.compile import PhasePlan
from meshsim.sim.outcomes import REJECTED, Outcome, flags

if TYPE_CHECKING:
    from meshsim.sim.model import Model, Request

__all__ = ["EdgeCounts", "Recorder"]

_OK, _ERROR, _TIMEOUT = Outcome.OK, Outcome.ERROR, Outcome.TIMEOUT
_REJECTED = flags(REJECTED)


@dataclass(slots=True)
class EdgeCounts:
    """What one client → server edge did in the measurement window."""

    calls: int = 0  # logical calls
    attempts: int = 0  # tries, rejected ones included
    failures: int = 0  # logical calls whose final outcome was not ok
    mtls: int = 0  # tries that went client sidecar → server sidecar (mutual TLS)
    breakages: int = 0  # tries a STRICT server refused because the client was plaintext
    policy: bool = False  # the client's proxy applied the destination's mesh policy
    denials: int = 0  # tries the server's AuthorizationPolicy refused with 403 (SPEC §20)


class Recorder:
    """Everything measured in one phase of one replication."""

    def __init__(self, model: Model, plan: PhasePlan) -> None:
        n = len(model.services)
        clients = n + len(model.entrypoints)
        self.model = model
        self.plan = plan
        self.n = n
        self.open: set[Request] = set()
        entries = len(model.entrypoints)
        self.entry_latency: list[list[float]] = [[] for _ in range(entries)]
        self.entry_ok = [0] * entries
        self.entry_good = [0] * entries
        self.touched: list[int] = []  # per measured request: bit mask of services addressed
        self.svc_calls = [0] * n
        self.svc_attempts = [0] * n
        self.svc_errors = [0] * n
        self.svc_timeouts = [0] * n
        self.svc_rejected = [0] * n
        self.svc_latency: list[list[float]] = [[] for _ in range(n)]
        self.busy_s = [0.0] * n
        self.ejections = [0] * n
        self.edges: dict[int, EdgeCounts] = {}  # keyed by client * n + server
        self.calls_total = 0
        self.calls_policy = 0
        self.calls_telemetry = 0
        self.client_trav = [0] * clients
        self.server_trav = [0] * n
        self.waypoint_trav = [0] * n
        self.end = 0.0
        self.unfinished = 0
        self.started = 0
        self.window_start = model.warmup
        self.window_end = model.duration
        # SPEC §20 canaries: per service, [meshed, plain] replicas' attempts, failures
        self.groups: dict[int, list[list[int]]] = {}

    def _edge(self, client: int, server: int) -> EdgeCounts:
        key = client * self.n + server
        edge = self.edges.get(key)
        if edge is None:
            edge = self.edges[key] = EdgeCounts()
        return edge

    def logical_call(self, client: int, server: int, cmeshed: bool) -> None:
        """A logical call from client to server starts."""
        self.svc_calls[server] += 1
        edge = self._edge(client, server)
        edge.calls += 1
        edge.policy = edge.policy or cmeshed  # a canary caller: some of its replicas do
        self.calls_total += 1
        if cmeshed:
            self.calls_policy += 1
        if cmeshed or self.plan.meshed[server]:
            self.calls_telemetry += 1

    def call_failed(self, client: int, server: int) -> None:
        """A logical call's final outcome was not ok."""
        self._edge(client, server).failures += 1

    def attempt_started(self, client: int, server: int, cmeshed: bool, mtls: bool) -> None:
        """A try addressed to server starts (through the client's proxy if meshed)."""
        self.svc_attempts[server] += 1
        edge = self._edge(client, server)
        edge.attempts += 1
        if mtls:
            edge.mtls += 1
        if cmeshed:
            self.client_trav[client] += 1

    def attempt_ended(self, server: int, outcome: Outcome, latency_s: float | None) -> None:
        """A try ended with ``outcome`` after ``latency_s`` as the client sees it."""
        if outcome == _ERROR:
            self.svc_errors[server] += 1
        elif outcome == _TIMEOUT:
            self.svc_timeouts[server] += 1
        elif _REJECTED[outcome]:
            self.svc_rejected[server] += 1
        if latency_s is not None:
            self.svc_latency[server].append(latency_s)

    def reached(self, client: int, server: int, cmeshed: bool, smeshed: bool) -> None:
        """An attempt passed the server's proxy (and waypoint) and reached the replica."""
        if smeshed:
            self.server_trav[server] += 1
        if cmeshed and self.plan.waypoint[server]:
            self.waypoint_trav[server] += 1

    def breakage(self, client: int, server: int) -> None:
        """A plaintext client was refused by a STRICT server."""
        self._edge(client, server).breakages += 1

    def denial(self, client: int, server: int) -> None:
        """The server's AuthorizationPolicy refused the client (403)."""
        self._edge(client, server).denials += 1

    def mtls_attempt(self, client: int, server: int) -> None:
        """A try to a canary service reached one of its meshed replicas from a sidecar."""
        self._edge(client, server).mtls += 1

    def replica_group(self, server: int, meshed: bool, outcome: Outcome) -> None:
        """A try to a canary service ended on a meshed or a plain replica."""
        groups = self.groups.get(server)
        if groups is None:
            groups = self.groups[server] = [[0, 0], [0, 0]]
        counts = groups[0 if meshed else 1]
        counts[0] += 1
        if outcome != _OK:
            counts[1] += 1

    def ejected(self, server: int) -> None:
        """A client's outlier detection ejected a replica of server."""
        self.ejections[server] += 1

    def app_timeout(self, server: int) -> None:
        """An application-level timeout fired on a call to server."""
        self.svc_timeouts[server] += 1

    def route_timeout(self, server: int) -> None:
        """A mesh route timeout fired on a call to server."""
        self.svc_timeouts[server] += 1

    def busy(self, server: int, start: float, end: float, arrived: float | None = None) -> None:
        """A worker of server was held from start to end (clipped to the window).

        ``arrived``: when the request reached the replica (before any queueing); the
        time series uses it (:class:`meshsim.sim.series.SeriesRecorder`).
        """
        start = max(start, self.window_start)
        end = min(end, self.window_end)
        if end > start:
            self.busy_s[server] += end - start

    def entry_started(self, req: Request) -> None:
        """A measured entry request arrived."""
        self.open.add(req)
        self.started += 1

    @property
    def open_measured(self) -> int:
        """Measured entry requests not finished yet."""
        return len(self.open)

    def entry_done(self, req: Request, outcome: Outcome, now: float) -> None:
        """A measured entry request ended."""
        self.open.discard(req)
        entry = self.model.entrypoints[req.entry]
        latency = now - req.start
        self.entry_latency[req.entry].append(latency)
        if outcome == _OK:
            self.entry_ok[req.entry] += 1
            if entry.latency_slo_s is None or latency <= entry.latency_slo_s:
                self.entry_good[req.entry] += 1
        self.touched.append(req.touched)

    def series(self) -> Any:
        """The time series of this run (SPEC §14); None when it was not recorded."""
        return None

    def finish(self, now: float) -> None:
        """Close the run: measured requests still open count as failed at ``now``."""
        self.end = now
        for req in sorted(self.open, key=lambda r: r.start):
            self.unfinished += 1
            self.entry_latency[req.entry].append(now - req.start)
            self.touched.append(req.touched)
        self.open.clear()
