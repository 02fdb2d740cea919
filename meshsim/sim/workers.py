"""A counting semaphore for SimPy that costs no event when a slot is free.

``simpy.Resource`` creates a request event (and a scheduler step) for every
acquisition, even an uncontended one. Most acquisitions in a service graph are
uncontended, so :class:`Workers` grants those synchronously and only creates an
event for a request that has to wait. FIFO order is kept.
"""

from __future__ import annotations

from collections import deque

import simpy

__all__ = ["Workers"]


class Workers:
    """``capacity`` slots with a FIFO queue of waiting events.

    Examples
    --------
    >>> env = simpy.Environment()
    >>> w = Workers(env, 1)
    >>> w.acquire() is None, w.acquire() is not None, len(w.queue)
    (True, True, 1)
    """

    __slots__ = ("env", "capacity", "count", "queue")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self.env = env
        self.capacity = capacity
        self.count = 0
        # the waiting requests, oldest first: a deque from the first wait on (an empty
        # tuple until then; a large graph has thousands of replicas that never queue)
        self.queue: deque[simpy.Event] | tuple[()] = ()

    def acquire(self) -> simpy.Event | None:
        """Take a slot now (returns None) or get an event that fires when one is yours."""
        if self.count < self.capacity:
            self.count += 1
            return None
        event = self.env.event()
        queue = self.queue
        if not isinstance(queue, deque):
            queue = self.queue = deque()
        queue.append(event)
        return event

    def release(self) -> None:
        """Give a slot back; the longest-waiting request gets it."""
        queue = self.queue
        if queue:
            queue.popleft().succeed()  # type: ignore[union-attr]
        else:
            self.count -= 1
