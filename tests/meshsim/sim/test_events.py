"""The engine's cheaper events behave exactly as SimPy's own (meshsim/sim/events.py)."""

from __future__ import annotations

import itertools

import pytest
import simpy

from meshsim.sim.events import Race, timeout, won


def _trace(make_timeout):
    """(time, label) of every resumption, for processes waiting on same-time timeouts."""
    env = simpy.Environment()
    seen = []

    def worker(label, delays):
        for d in delays:
            yield make_timeout(env, d)
            seen.append((env.now, label))

    for label, delays in enumerate([(1, 0, 2), (0, 1, 1), (1, 1, 0), (0.5, 0.5, 2)]):
        env.process(worker(label, delays))
    env.run()
    return seen


def test_direct_timeouts_resume_in_simpys_order():
    assert _trace(timeout) == _trace(lambda env, d: env.timeout(d))


@pytest.mark.parametrize(
    ("work", "limit", "late"), list(itertools.product([0, 1, 2], [0, 1, 2], [False, True]))
)
def test_race_is_decided_and_processed_as_anyof(work, limit, late):
    """Ties included: who wins, and when and in which order the waiters resume."""

    def run(race):
        env = simpy.Environment()
        log = []

        def job():
            yield env.timeout(work)
            return "done"

        def waiter():
            proc = env.process(job())
            if late:  # another event at the same instant, scheduled in between
                env.process(other())
            outcome = yield from race(env, proc, limit)
            log.append((env.now, outcome))

        def other():
            yield env.timeout(limit)
            log.append((env.now, "other"))

        env.process(waiter())
        env.run()
        return log

    def with_anyof(env, proc, limit):
        done = yield proc | env.timeout(limit)
        return done[proc] if proc in done else "timeout"

    def with_race(env, proc, limit):
        yield Race(env, proc, timeout(env, limit))
        return proc._value if won(proc) else "timeout"

    assert run(with_race) == run(with_anyof)
