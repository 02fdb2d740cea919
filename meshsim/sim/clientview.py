"""A meshed client's own view of one destination (SPEC §10.5-§10.7).

It holds what an Envoy keeps per upstream cluster: outstanding requests per
replica (for least-request), the connection pool, the retry circuit breaker and
the outlier-detection state. Time is in seconds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import simpy

from meshsim.sim.compile import PolicyRT
from meshsim.sim.workers import Workers

__all__ = ["ClientView", "MAX_EJECTION_S", "max_ejected"]

MAX_EJECTION_S = 300.0
"""Envoy's default ``max_ejection_time``: an ejection never lasts longer."""


def max_ejected(replicas: int, max_percent: float) -> int:
    """Replicas that may be ejected at once: max(1, ceil(percent/100 · replicas)).

    Examples
    --------
    >>> [max_ejected(n, 10) for n in (3, 10, 15, 100)]
    [1, 1, 2, 10]
    """
    return max(1, math.ceil(max_percent / 100.0 * replicas - 1e-9))


class ClientView:
    """State of one meshed client towards one destination service."""

    __slots__ = (
        "env",
        "policy",
        "route_rng",
        "backoff_rng",
        "replicas",
        "outstanding",
        "active",
        "active_retries",
        "pool",
        "consecutive",
        "ejected_until",
        "ejections",
        "ejected_count",
        "max_ejected",
        "on_eject",
    )

    def __init__(
        self,
        env: simpy.Environment,
        policy: PolicyRT,
        replicas: int,
        route_rng: random.Random,
        backoff_rng: random.Random,
        on_eject: Callable[[], None],
    ) -> None:
        self.env = env
        self.policy = policy
        self.route_rng = route_rng  # replica choice toward this destination
        self.backoff_rng = backoff_rng  # back-off jitter toward this destination
        self.replicas = replicas
        self.outstanding = [0] * replicas
        self.active = 0
        self.active_retries = 0
        self.pool: Workers | None = (
            Workers(env, policy.pool_limit) if policy.pool_limit is not None else None
        )
        self.consecutive = [0] * replicas
        self.ejected_until: list[float | None] = [None] * replicas
        self.ejections = [0] * replicas
        self.ejected_count = 0
        od = policy.outlier
        self.max_ejected = max_ejected(replicas, od.max_ejection_percent) if od else 0
        self.on_eject = on_eject  # counts an ejection against the destination

    # --- replica choice ----------------------------------------------------------------

    def _return_ejected(self) -> None:
        now = self.env.now
        for i, until in enumerate(self.ejected_until):
            if until is not None and now >= until:
                self.ejected_until[i] = None
                self.ejected_count -= 1

    def pick(self, tried: list[int]) -> int | None:
        """Least-request of two random choices among healthy replicas, untried ones first.

        Returns ``None`` when every replica is ejected.
        """
        if self.ejected_count:
            self._return_ejected()
        n = self.replicas
        if n == 1:
            return 0 if self.ejected_until[0] is None else None
        healthy = [i for i in range(n) if self.ejected_until[i] is None]
        if not healthy:
            return None
        if tried:
            fresh = [i for i in healthy if i not in tried]
            if fresh:
                healthy = fresh
        if len(healthy) == 1:
            return healthy[0]
        rand = self.route_rng.randrange
        a = healthy[rand(len(healthy))]
        b = healthy[rand(len(healthy))]
        return a if self.outstanding[a] <= self.outstanding[b] else b

    # --- retries -----------------------------------------------------------------------

    def retry_allowed(self) -> bool:
        """Whether one more concurrent retry fits the retry budget or ``maxRetries``."""
        policy = self.policy
        if policy.budget_percent is not None:
            limit = max(int(policy.budget_percent / 100.0 * self.active), policy.budget_min)
            return self.active_retries < limit
        if policy.max_retries is not None:
            return self.active_retries < policy.max_retries
        return True

    def backoff(self, retry: int) -> float:
        """Back-off before retry number ``retry`` (1-based), per SPEC §10.5."""
        policy = self.policy
        upper: float
        if policy.backoff_doc:
            upper = min((2**retry - 1) * policy.backoff_base, policy.backoff_max)
        else:
            upper = min(2 ** (retry - 1) * policy.backoff_base, policy.backoff_max)
        return self.backoff_rng.random() * upper

    # --- outlier detection -------------------------------------------------------------

    def record(self, replica: int, failed: bool) -> None:
        """Count an attempt's outcome towards outlier detection of ``replica``."""
        od = self.policy.outlier
        if od is None:
            return
        if not failed:
            self.consecutive[replica] = 0
            return
        self.consecutive[replica] += 1
        if (
            self.consecutive[replica] < od.consecutive_5xx
            or self.ejected_until[replica] is not None
        ):
            return
        if self.ejected_count:
            self._return_ejected()
        if self.ejected_count >= self.max_ejected:
            return
        self.ejections[replica] += 1
        duration = min(od.base_ejection_s * self.ejections[replica], MAX_EJECTION_S)
        interval = od.interval_s
        self.ejected_until[replica] = (
            math.ceil((self.env.now + duration) / interval - 1e-9) * interval
        )
        self.ejected_count += 1
        self.consecutive[replica] = 0
        self.on_eject()
