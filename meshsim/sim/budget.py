"""Linkerd's load and retry accounting: peak-EWMA cost and the ratio retry budget.

Both follow tower (the Rust library linkerd2-proxy builds on) step by step:
``tower/src/load/peak_ewma.rs`` and ``tower/src/retry/budget/tps_budget.rs``.
Time is in seconds.
"""

from __future__ import annotations

import math

__all__ = ["DEFAULT_RTT_S", "DECAY_S", "PeakEwma", "TpsBudget"]

DEFAULT_RTT_S = 0.030
"""Linkerd's default RTT estimate of a new endpoint (linkerd/app/core/src/control.rs)."""

DECAY_S = 10.0
"""Linkerd's peak-EWMA decay time constant."""


class PeakEwma:
    """RTT estimates of the replicas of one destination, as one Linkerd balancer sees them.

    Examples
    --------
    >>> e = PeakEwma(2, 0.0)
    >>> e.observe(0, 0.0, 0.5)  # a 500 ms answer is a new peak: the estimate jumps
    >>> round(e.load(0, 0.5), 3), round(e.load(1, 0.5), 4)
    (0.5, 0.0285)
    """

    __slots__ = ("rtt", "at")

    def __init__(self, replicas: int, now: float) -> None:
        self.rtt = [DEFAULT_RTT_S] * replicas
        self.at = [now] * replicas

    def load(self, replica: int, now: float) -> float:
        """The estimate decayed towards 0 up to ``now`` (reading updates it, as in tower)."""
        return self._update(replica, 0.0, now)

    def observe(self, replica: int, sent_at: float, now: float) -> None:
        """A response of ``replica`` to a request sent at ``sent_at``."""
        self._update(replica, now - sent_at, now)

    def _update(self, replica: int, rtt: float, now: float) -> float:
        estimate = self.rtt[replica]
        if estimate < rtt:
            estimate = rtt  # the peak replaces the estimate at once
        else:
            decay = math.exp(-(now - self.at[replica]) / DECAY_S)
            estimate = estimate * decay + rtt * (1.0 - decay)
        self.rtt[replica] = estimate
        self.at[replica] = now
        return estimate


class TpsBudget:
    """Linkerd's retry budget (tower ``TpsBudget``): a token bucket over ``ttl``.

    A non-retryable response deposits 1; a retry withdraws ``1/ratio``; a reserve of
    ``minPerSecond · ttl`` retries is always there. Deposits and withdrawals count for
    ``ttl``, in ten slots of ``ttl/10``.

    Examples
    --------
    >>> b = TpsBudget(ttl_s=1.0, min_per_second=0, ratio=0.5, now=0.0)
    >>> b.withdraw(0.0), b.deposit(0.0), b.deposit(0.0), b.withdraw(0.9), b.withdraw(0.9)
    (False, None, None, True, False)
    """

    __slots__ = (
        "deposit_amount",
        "withdraw_amount",
        "reserve",
        "slots",
        "window",
        "index",
        "time",
        "writer",
    )

    def __init__(self, ttl_s: float, min_per_second: int, ratio: float, now: float) -> None:
        if ratio <= 1.0:
            self.deposit_amount, self.withdraw_amount = 1, int(1.0 / ratio)
        else:
            self.deposit_amount, self.withdraw_amount = 1000, int(1000.0 / ratio)
        self.reserve = min_per_second * int(ttl_s) * self.withdraw_amount
        self.slots = [0] * 10
        self.window = ttl_s / 10
        self.index = 0
        self.time = now
        self.writer = 0

    def _expire(self, now: float) -> None:
        # whole windows since the current slot opened: commit it, clear the slots whose
        # deposits are now older than ttl (tower's loop clears one slot too few and skips
        # one, which shortens the ttl it documents; this follows the documented ttl)
        passed = int((now - self.time) / self.window + 1e-9)
        if passed == 0:
            return
        self.slots[self.index] = self.writer
        self.writer = 0
        for step in range(1, min(passed, 10) + 1):
            self.slots[(self.index + step) % 10] = 0
        self.index = (self.index + passed) % 10
        self.time += passed * self.window

    def deposit(self, now: float) -> None:
        """A response that will not be retried."""
        self._expire(now)
        self.writer += self.deposit_amount

    def withdraw(self, now: float) -> bool:
        """Take one retry from the budget if it holds one."""
        self._expire(now)
        if self.writer + sum(self.slots) + self.reserve >= self.withdraw_amount:
            self.writer -= self.withdraw_amount
            return True
        return False
