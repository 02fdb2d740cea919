"""A replica (pod) of a service and the faults that hit it (SPEC §8)."""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING

import simpy

from meshsim.sim.model import FaultRT
from meshsim.sim.workers import Workers

if TYPE_CHECKING:  # pragma: no cover
    from meshsim.sim.clientview import ClientView

__all__ = ["Replica", "busy_until", "run_fault"]


def busy_until(replica: Replica, epoch: int, now: float) -> float:
    """When a worker taken in ``epoch`` stopped being busy: now, or when its pod crashed."""
    return now if replica.epoch == epoch else replica.crash_times[epoch]


class Replica:
    """One pod of a service: its workers and its fault state."""

    __slots__ = (
        "res",
        "down",
        "extra_error",
        "latency_faults",
        "crash",
        "epoch",
        "crash_times",
        "views",
        "meshed",
        "cluster",
    )

    def __init__(
        self, env: simpy.Environment, concurrency: int, meshed: bool = False, cluster: int = 0
    ) -> None:
        self.res = Workers(env, concurrency)
        self.meshed = meshed  # runs a sidecar in this phase (SPEC §20: canaries, clusters)
        self.cluster = cluster  # index into the scenario's clusters (0 without any)
        self.down = 0  # > 0: refuses connections (outage, crash)
        self.extra_error = 0.0
        # active latency faults; each caller draws their hits and delays from its own link
        self.latency_faults: tuple[FaultRT, ...] = ()
        self.crash: simpy.Event | None = None  # fires when the pod crashes under its requests
        self.epoch = 0  # bumped by a crash: requests of an older epoch make no more calls
        # when epoch k ended: a worker of a crashed pod is busy only until its crash
        self.crash_times: tuple[float, ...] = ()
        # its sidecar: one view per destination (pool, breaker, detector), SPEC §10.1
        self.views: dict[int, ClientView] = {}


def run_fault(
    env: simpy.Environment, fault: FaultRT, replicas: list[Replica]
) -> Generator[simpy.Event, None, None]:
    """A SimPy process applying ``fault`` to its replicas from start for its duration."""
    if fault.start > 0:
        yield env.timeout(fault.start)
    hit = replicas[: fault.replicas]
    for replica in hit:
        _on(env, fault, replica)
    if fault.duration is None:
        return
    yield env.timeout(fault.duration)
    for replica in hit:
        _off(env, fault, replica)


def _on(env: simpy.Environment, fault: FaultRT, replica: Replica) -> None:
    if fault.kind in ("outage", "crash", "proxy-crash"):
        replica.down += 1
    if fault.kind in ("crash", "proxy-crash"):
        replica.epoch += 1
        replica.crash_times = (*replica.crash_times, env.now)
        crashed, replica.crash = replica.crash, env.event()
        if crashed is not None:
            crashed.succeed()
    elif fault.kind == "error":
        replica.extra_error += fault.error_rate
    elif fault.kind == "latency":
        replica.latency_faults = (*replica.latency_faults, fault)


def _off(env: simpy.Environment, fault: FaultRT, replica: Replica) -> None:
    if fault.kind in ("outage", "crash", "proxy-crash"):
        replica.down -= 1
    if fault.kind in ("crash", "proxy-crash"):
        # the pod restarts empty: requests still held by the dead pod are gone
        replica.res = Workers(env, replica.res.capacity)
    elif fault.kind == "error":
        replica.extra_error -= fault.error_rate
    elif fault.kind == "latency":
        replica.latency_faults = tuple(f for f in replica.latency_faults if f is not fault)
