"""Cheap records kept during one simulated phase: counters and lists of floats.

Only requests that arrive in the measurement window are recorded (the engine
checks ``req.measured`` before calling in here).
"""

from __future__ import annotations

from meshsim.sim.compile import ERROR, OK, TIMEOUT, PhasePlan

__all__ = ["Recorder", "EDGE_FIELDS"]

EDGE_FIELDS = ("calls", "attempts", "failures", "mtls", "breakages")
_REJECTED = (False, False, True, False, False, True, True)  # unavailable, connect-failure, overflow


class Recorder:
    """Everything measured in one phase of one replication."""

    def __init__(self, model, plan: PhasePlan) -> None:
        n = len(model.services)
        clients = n + len(model.entrypoints)
        self.model = model
        self.plan = plan
        self.n = n
        self.open: set = set()
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
        self.ejections = [[0] for _ in range(n)]
        self.edges: dict[int, list[int]] = {}
        self.edge_policy: dict[int, bool] = {}
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

    def _edge(self, client: int, server: int) -> list[int]:
        key = client * self.n + server
        edge = self.edges.get(key)
        if edge is None:
            edge = self.edges[key] = [0, 0, 0, 0, 0]
        return edge

    def logical_call(self, client: int, server: int, cmeshed: bool) -> None:
        """A logical call from client to server starts."""
        self.svc_calls[server] += 1
        self._edge(client, server)[0] += 1
        self.edge_policy[client * self.n + server] = cmeshed
        self.calls_total += 1
        if cmeshed:
            self.calls_policy += 1
        if cmeshed or self.plan.meshed[server]:
            self.calls_telemetry += 1

    def call_failed(self, client: int, server: int) -> None:
        """A logical call's final outcome was not ok."""
        self._edge(client, server)[2] += 1

    def attempt_started(self, client: int, server: int, cmeshed: bool, mtls: bool) -> None:
        """A try addressed to server starts (through the client's proxy if meshed)."""
        self.svc_attempts[server] += 1
        edge = self._edge(client, server)
        edge[1] += 1
        if mtls:
            edge[3] += 1
        if cmeshed:
            self.client_trav[client] += 1

    def attempt_ended(self, server: int, outcome: int, latency_s: float | None) -> None:
        """A try ended with ``outcome`` after ``latency_s`` as the client sees it."""
        if outcome == ERROR:
            self.svc_errors[server] += 1
        elif outcome == TIMEOUT:
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
        self._edge(client, server)[4] += 1

    def app_timeout(self, server: int) -> None:
        """An application-level timeout fired on a call to server."""
        self.svc_timeouts[server] += 1

    def route_timeout(self, server: int) -> None:
        """A mesh route timeout fired on a call to server."""
        self.svc_timeouts[server] += 1

    def busy(self, server: int, start: float, end: float) -> None:
        """A worker of server was held from start to end (clipped to the window)."""
        start = max(start, self.window_start)
        end = min(end, self.window_end)
        if end > start:
            self.busy_s[server] += end - start

    def entry_started(self, req) -> None:
        """A measured entry request arrived."""
        self.open.add(req)
        self.started += 1

    @property
    def open_measured(self) -> int:
        """Measured entry requests not finished yet."""
        return len(self.open)

    def entry_done(self, req, outcome: int, now: float) -> None:
        """A measured entry request ended."""
        self.open.discard(req)
        entry = self.model.entrypoints[req.entry]
        latency = now - req.start
        self.entry_latency[req.entry].append(latency)
        if outcome == OK:
            self.entry_ok[req.entry] += 1
            if entry.latency_slo_s is None or latency <= entry.latency_slo_s:
                self.entry_good[req.entry] += 1
        self.touched.append(req.touched)

    def finish(self, now: float) -> None:
        """Close the run: measured requests still open count as failed at ``now``."""
        self.end = now
        for req in sorted(self.open, key=lambda r: r.start):
            self.unfinished += 1
            self.entry_latency[req.entry].append(now - req.start)
            self.touched.append(req.touched)
        self.open.clear()
