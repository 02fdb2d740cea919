"""One proxy's view of one destination (SPEC §10.1, §10.5-§10.7).

A client sidecar (one per client replica), an entry gateway or a shared ambient
waypoint keeps, per destination, what an Envoy keeps per upstream cluster: active
requests per replica (least-request), the connection pool, the retry breaker or budget
and the outlier detector. Under ``profile: linkerd`` replica choice is peak-EWMA p2c.
Time is in seconds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import simpy

from meshsim.sim.budget import PeakEwma, TpsBudget
from meshsim.sim.compile import PolicyRT
from meshsim.sim.sampling import Uniforms
from meshsim.sim.workers import Workers

if TYPE_CHECKING:  # pragma: no cover
    from meshsim.sim.replica import Replica

__all__ = ["ClientView", "MAX_EJECTION_S", "may_eject"]

MAX_EJECTION_S = 300.0
"""Envoy's default ``max_ejection_time``: an ejection never lasts longer."""

_EPS = 1e-9


def may_eject(ejected: int, replicas: int, max_percent: float, always_one: bool) -> bool:
    """Whether one more replica may be ejected (Envoy ``DetectorImpl::ejectHost``).

    Examples
    --------
    >>> [may_eject(0, n, 10, False) for n in (3, 9, 10, 15)]
    [False, False, True, True]
    >>> may_eject(1, 15, 10, False), may_eject(0, 3, 10, True), may_eject(1, 3, 10, True)
    (False, True, False)
    """
    if 100.0 * (ejected + 1) / replicas <= max_percent + _EPS:
        return True
    return always_one and ejected == 0


class ClientView:
    """State of one proxy towards one destination service."""

    __slots__ = (
        "env",
        "policy",
        "limited",
        "detector",
        "shared",
        "route_rng",
        "backoff_rng",
        "replicas",
        "servers",
        "outstanding",
        "active",
        "active_rq",
        "active_retries",
        "conns",
        "budget",
        "ewma",
        "consecutive",
        "ejected",
        "ejected_at",
        "returned_at",
        "multiplier",
        "ejected_count",
        "next_tick",
        "on_eject",
        "local",
    )

    def __init__(
        self,
        env: simpy.Environment,
        policy: PolicyRT,
        servers: Sequence[Replica],
        route_rng: random.Random | Uniforms,
        backoff_rng: random.Random | Uniforms | None,
        on_eject: Callable[[], None],
    ) -> None:
        n = len(servers)
        self.env = env
        self.policy = policy
        # whether a new request can overflow, and whether outcomes feed a detector: the
        # engine skips the calls when not (most policies set neither)
        self.limited = policy.max_requests is not None or policy.max_pending is not None
        self.detector = policy.outlier is not None
        self.shared = False  # an ambient waypoint's view, used by every caller of the server
        self.route_rng = route_rng  # replica choice toward this destination
        # back-off jitter toward this destination (None: the engine hands the calling
        # link's stream in before each back-off, so a view that never retries makes none)
        self.backoff_rng = backoff_rng
        self.replicas = n
        self.servers = servers  # the destination's Replica objects (readiness for Linkerd)
        self.outstanding = [0] * n
        self.active = 0  # active + pending requests, as Envoy's retry budget counts
        self.active_rq = 0  # requests holding a slot (maxRequests)
        self.active_retries = 0
        self.conns = (
            Workers(env, policy.max_connections) if policy.max_connections is not None else None
        )
        rb = policy.ratio_budget
        self.budget = (
            TpsBudget(rb.ttl_s, rb.min_per_second, rb.ratio, env.now) if rb is not None else None
        )
        self.ewma = PeakEwma(n, env.now) if policy.linkerd else None
        # the outlier detector's state per replica; without a detector nothing ejects, and
        # read-only tuples stand in (a large graph has thousands of views: fewer objects
        # for the garbage collector to walk)
        od = policy.outlier
        self.consecutive: Sequence[int] = [0] * n if od else (0,) * n
        self.ejected: Sequence[bool] = [False] * n if od else (False,) * n
        self.ejected_at: Sequence[float] = [0.0] * n if od else (0.0,) * n
        # None: never ejected
        self.returned_at: Sequence[float | None] = [None] * n if od else (None,) * n
        self.multiplier: Sequence[int] = [0] * n if od else (0,) * n
        self.ejected_count = 0
        self.next_tick = od.interval_s if od else math.inf
        self.on_eject = on_eject  # counts an ejection against the destination
        # SPEC §20 localityLb: the replicas in the client's own cluster, preferred while
        # any of them is not ejected (None: no locality preference)
        self.local: list[int] | None = None

    # --- connection pool (SPEC §10.6) --------------------------------------------------

    def overflows(self) -> bool:
        """Whether a new request ends at once with ``overflow``."""
        policy = self.policy
        if policy.max_requests is not None and self.active_rq >= policy.max_requests:
            return True
        conns = self.conns
        return (
            conns is not None
            and conns.count >= conns.capacity
            and policy.max_pending is not None
            and len(conns.queue) >= policy.max_pending
        )

    def release(self, replica: int) -> None:
        """A try on ``replica`` ended (or was reset): its slot and counts are free."""
        self.outstanding[replica] -= 1
        self.active -= 1
        self.active_rq -= 1
        if self.conns is not None:
            self.conns.release()

    # --- replica choice ----------------------------------------------------------------

    def pick(self, tried: list[int]) -> int | None:
        """The replica for the next try, or ``None`` when none is healthy."""
        if self.env.now >= self.next_tick:
            self._ticks()
        if self.ewma is not None:
            return self._pick_ewma()
        if self.local is not None:
            local = [i for i in self.local if not self.ejected[i]]
            if local:
                return self._pick_among(local, tried)
        n = self.replicas
        if n == 1:
            return None if self.ejected[0] else 0
        if self.ejected_count:
            healthy = [i for i in range(n) if not self.ejected[i]]
            if not healthy:
                return None
        else:
            healthy = None
        if tried:
            fresh = [i for i in (healthy or range(n)) if i not in tried]
            if fresh:
                healthy = fresh
        rand = self.route_rng.randrange
        if healthy is None:
            a, b = rand(n), rand(n)
        else:
            if len(healthy) == 1:
                return healthy[0]
            a = healthy[rand(len(healthy))]
            b = healthy[rand(len(healthy))]
        return a if self.outstanding[a] <= self.outstanding[b] else b

    def _pick_among(self, healthy: list[int], tried: list[int]) -> int:
        """Least request of two random choices among ``healthy`` (untried ones first)."""
        fresh = [i for i in healthy if i not in tried]
        if fresh:
            healthy = fresh
        if len(healthy) == 1:
            return healthy[0]
        rand = self.route_rng.randrange
        a = healthy[rand(len(healthy))]
        b = healthy[rand(len(healthy))]
        return a if self.outstanding[a] <= self.outstanding[b] else b

    def _pick_ewma(self) -> int | None:
        # linkerd2-proxy pool/p2c: two distinct ready endpoints, the lower peak-EWMA cost
        servers, ejected = self.servers, self.ejected
        ready = [i for i in range(self.replicas) if not ejected[i] and not servers[i].down]
        if len(ready) <= 1:
            return ready[0] if ready else None
        rand = self.route_rng.randrange
        ia = rand(len(ready))
        ib = rand(len(ready) - 1)
        if ib >= ia:
            ib += 1
        a, b = ready[ia], ready[ib]
        now, out, ewma = self.env.now, self.outstanding, self.ewma
        assert ewma is not None
        cost_a = ewma.load(a, now) * (out[a] + 1)
        cost_b = ewma.load(b, now) * (out[b] + 1)
        return a if cost_a <= cost_b else b

    def observe_rtt(self, replica: int, sent_at: float) -> None:
        """Linkerd: a response (or a given-up request) of ``replica`` sent at ``sent_at``."""
        if self.ewma is not None:
            self.ewma.observe(replica, sent_at, self.env.now)

    # --- retries -----------------------------------------------------------------------

    def retry_allowed(self) -> bool:
        """Whether one more retry fits the breaker (``maxRetries`` or budget) right now."""
        policy = self.policy
        if self.budget is not None:
            return self.budget.withdraw(self.env.now)
        if policy.budget_percent is not None:
            limit = max(int(policy.budget_percent / 100.0 * self.active), policy.budget_min)
            return self.active_retries < limit
        if policy.max_retries is not None:
            return self.active_retries < policy.max_retries
        return True

    def not_retryable(self) -> None:
        """A response that is not retryable: Linkerd's budget earns a deposit."""
        if self.budget is not None:
            self.budget.deposit(self.env.now)

    def backoff(self, retry: int) -> float:
        """Back-off before retry number ``retry`` (1-based), per SPEC §10.5."""
        policy = self.policy
        upper: float
        if policy.backoff_doc:
            upper = min((2**retry - 1) * policy.backoff_base, policy.backoff_max)
        else:
            upper = min(2 ** (retry - 1) * policy.backoff_base, policy.backoff_max)
        rng = self.backoff_rng
        assert rng is not None
        return rng.random() * upper

    # --- outlier detection (Envoy outlier_detection_impl.cc) ---------------------------

    def _ticks(self) -> None:
        """Run every interval tick due by now: returns first, then multiplier decay."""
        od = self.policy.outlier
        assert od is not None
        base, interval = od.base_ejection_s, od.interval_s
        now = self.env.now
        while self.next_tick <= now + _EPS:
            tick = self.next_tick
            for i in range(self.replicas):
                if self.ejected[i]:
                    if self.ejected_at[i] + min(base * self.multiplier[i], MAX_EJECTION_S) <= (
                        tick + _EPS
                    ):
                        self.ejected[i] = False
                        self.ejected_count -= 1
                        self.returned_at[i] = tick
                        self.consecutive[i] = 0
                else:
                    returned = self.returned_at[i]
                    if (
                        self.multiplier[i]
                        and returned is not None
                        and tick - returned >= interval - _EPS
                    ):
                        self.multiplier[i] -= 1
            self.next_tick = tick + interval

    def record(self, replica: int, failed: bool) -> None:
        """Count an attempt's outcome towards outlier detection of ``replica``."""
        od = self.policy.outlier
        if od is None:
            return
        if self.env.now >= self.next_tick:
            self._ticks()
        if not failed:
            self.consecutive[replica] = 0
            return
        self.consecutive[replica] += 1
        if self.consecutive[replica] != od.consecutive_5xx or self.ejected[replica]:
            return  # Envoy fires at == threshold; an ejected replica keeps counting
        self.consecutive[replica] = 0  # after the ejection or its refusal
        if not may_eject(
            self.ejected_count, self.replicas, od.max_ejection_percent, od.always_eject_one_host
        ):
            return
        base = od.base_ejection_s
        if self.multiplier[replica] * base < MAX_EJECTION_S + base:
            self.multiplier[replica] += 1
        self.ejected[replica] = True
        self.ejected_at[replica] = self.env.now
        self.ejected_count += 1
        self.on_eject()
