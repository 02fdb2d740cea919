"""Cheaper SimPy events for the engine's hot path, scheduled exactly as SimPy's own.

- :func:`timeout` builds a :class:`simpy.Timeout` without the bound-class call, the
  constructor and :meth:`~simpy.Environment.schedule`: the same heap entry
  ``(now + delay, NORMAL, next eid, event)``, so the order of events (and every
  result) is unchanged.
- :class:`Race` replaces ``proc | env.timeout(t)`` (an :class:`simpy.AnyOf`): it is
  triggered by the first of two events and processed when the condition would be.
  Who won is read after it fires, as the condition's value says it: the first
  event wins when it was processed too (:func:`won`).

SimPy's internals used here (``Environment._queue``, ``_now``, ``_eid``; ``Event``'s
``callbacks``, ``_value``, ``_ok``) have been stable since SimPy 3; the engine's
results are checked bit for bit against SimPy's own events in the tests.
"""

from __future__ import annotations

from heapq import heappush

import simpy
from simpy.events import NORMAL, PENDING, Event, Timeout

__all__ = ["Race", "timeout", "won"]

_new = object.__new__


def timeout(env: simpy.Environment, delay: float) -> Timeout:
    """``env.timeout(delay)``, built directly (``delay`` must not be negative).

    Examples
    --------
    >>> env = simpy.Environment()
    >>> def wait():
    ...     yield timeout(env, 2.5)
    >>> _ = env.process(wait())
    >>> env.run()
    >>> env.now
    2.5
    """
    event = _new(Timeout)
    event.env = env
    event.callbacks = []
    event._value = None
    event._delay = delay
    event._ok = True
    heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), event))  # type: ignore[attr-defined]
    return event


class Race(Event):
    """Triggered by the first of ``first`` and ``second`` to be processed.

    Like ``first | second``, it is scheduled (at the same time, priority and
    sequence number) when the first of them is processed, and a failure of either
    fails it.
    """

    def __init__(self, env: simpy.Environment, first: Event, second: Event) -> None:
        self.env = env
        self.callbacks = []
        self._value = PENDING
        first.callbacks.append(self._check)  # type: ignore[union-attr]
        second.callbacks.append(self._check)  # type: ignore[union-attr]

    def _check(self, event: Event) -> None:
        if self._value is not PENDING:
            return
        if not event._ok:
            event._defused = True
            self.fail(event._value)
        else:
            self._ok = True
            self._value = None
            self.env.schedule(self)


def won(event: Event) -> bool:
    """Whether ``event`` was processed by the time its race was: it won the race."""
    return event.callbacks is None
