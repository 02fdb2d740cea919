"""The discrete-event core: one phase, one replication, in SimPy.

Time inside the engine is in **seconds**. A request flows as SPEC §10 says: the
application layer of the client (timeout, retries), the mesh layer when the client
is meshed (route timeout, retries, pool, outlier detection), then one attempt
(proxies and network each way, the replica's FIFO queue and workers, its script).

A call with no timeout runs inline (``yield from``); only races (timeouts), parallel
groups and crashes cost a SimPy process. Everything recorded is a plain number.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from meshsim.errors import SimulationCancelled
from meshsim.sim.clientview import ClientView
from meshsim.sim.compile import (
    CONNECT_FAILURE,
    ERROR,
    OK,
    OVERFLOW,
    RESET,
    TIMEOUT,
    UNAVAILABLE,
    PhasePlan,
)
from meshsim.sim.model import Model, Request
from meshsim.sim.recorder import Recorder
from meshsim.sim.replica import Replica, run_fault

__all__ = ["simulate"]

_FAILED_FOR_OUTLIER = (False, True, True, True, True, True, False)  # indexed by outcome
_CHUNKS = 50


class Simulation:
    """One phase × one replication of a compiled model."""

    def __init__(self, model: Model, plan: PhasePlan, replication: int) -> None:
        self.env = env = simpy.Environment()
        self.model = model
        self.plan = plan
        self.rt = model.runtime(replication, plan)
        self.rec = Recorder(model, plan)
        self.replicas = [
            [Replica(env, s.concurrency) for _ in range(s.replicas)] for s in model.services
        ]
        self.views: dict[int, ClientView] = {}
        self.max_depth = model.max_depth
        # which services each measured request addressed, as a bit mask: exposure of any
        # set of onboarded services is computed from it afterwards (SPEC §11.3)
        self.bits = [1 << i for i in range(len(model.services))]
        for fault in model.faults:
            if fault.kind == "crash":
                for replica in self.replicas[fault.service][: fault.replicas]:
                    replica.crash = env.event()

    # --- driving ---------------------------------------------------------------------

    def run(
        self,
        on_progress: Callable[[float], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
    ) -> Recorder:
        """Run arrivals until ``duration``, then drain the measured requests."""
        env, model = self.env, self.model
        for fault in model.faults:
            env.process(run_fault(env, fault, self.replicas[fault.service], self.rt))
        for e in range(len(model.entrypoints)):
            env.process(self._arrivals(e))
        end = model.duration + model.drain
        for k in range(1, _CHUNKS + 1):
            until = end * k / _CHUNKS
            env.run(until=until)
            if should_stop is not None and should_stop():
                raise SimulationCancelled("run cancelled")
            if on_progress is not None:
                on_progress(k / _CHUNKS)
            if until >= model.duration and self.rec.open_measured == 0:
                break
        self.rec.finish(env.now)
        return self.rec

    def _arrivals(self, e: int):
        env, model = self.env, self.model
        entry = model.entrypoints[e]
        gap = self.rt.arrival_gap[e]
        warmup, duration = model.warmup, model.duration
        while True:
            yield env.timeout(gap())
            now = env.now
            if now >= duration:
                return
            req = Request(e, now, warmup <= now)
            env.process(self._entry_request(entry, req))

    def _entry_request(self, entry, req: Request):
        rec = self.rec
        if req.measured:
            rec.entry_started(req)
        client = self.model.entry_client_id(entry.index)
        meshed = entry.gateway and self.plan.gateway_meshed
        outcome = yield from self.call(client, meshed, entry.service, None, 0, req)
        if req.measured:
            rec.entry_done(req, outcome, self.env.now)

    # --- layers of one logical call (SPEC §10.2) -------------------------------------

    def call(self, client: int, cmeshed: bool, server: int, spec, depth: int, req: Request):
        """A logical call: application layer, then mesh layer, then attempts."""
        rec = self.rec
        if req.measured:
            rec.logical_call(client, server, cmeshed)
            req.touched |= self.bits[server]
        policy = self.plan.policies[server] if cmeshed else None
        if policy is None and (spec is None or (spec[4] is None and spec[5] == 0)):
            outcome = yield from self._try(client, cmeshed, server, None, None, depth, req, [])
        elif spec is None or (spec[4] is None and spec[5] == 0):
            outcome = yield from self._mesh(client, cmeshed, server, policy, depth, req, None)
        else:
            outcome = yield from self._app_layer(client, cmeshed, server, policy, spec, depth, req)
        if req.measured and outcome != OK:
            rec.call_failed(client, server)
        return outcome

    def _app_layer(self, client, cmeshed, server, policy, spec, depth, req):
        env = self.env
        timeout, tries, backoff = spec[4], spec[5] + 1, spec[6]
        outcome = ERROR
        for k in range(tries):
            if timeout is None:
                outcome = yield from self._mesh(client, cmeshed, server, policy, depth, req, None)
            else:
                flag = [False]
                proc = env.process(self._mesh(client, cmeshed, server, policy, depth, req, flag))
                done = yield proc | env.timeout(timeout)
                if proc in done:
                    outcome = done[proc]
                else:
                    flag[0] = True
                    outcome = TIMEOUT
                    if req.measured:
                        self.rec.app_timeout(server)
            if outcome == OK:
                return OK
            if k + 1 < tries and backoff > 0:
                yield env.timeout(backoff)
        return outcome

    def _mesh(self, client, cmeshed, server, policy, depth, req, abandoned):
        if policy is None:
            outcome = yield from self._try(client, cmeshed, server, None, None, depth, req, [])
            return outcome
        if policy.route_timeout is None:
            outcome = yield from self._retry_loop(client, server, policy, depth, req, abandoned)
            return outcome
        flag = abandoned if abandoned is not None else [False]
        env = self.env
        proc = env.process(self._retry_loop(client, server, policy, depth, req, flag))
        done = yield proc | env.timeout(policy.route_timeout)
        if proc in done:
            return done[proc]
        flag[0] = True
        if req.measured:
            self.rec.route_timeout(server)
        return TIMEOUT

    def _view(self, client: int, server: int, policy) -> ClientView:
        key = client * len(self.model.services) + server
        view = self.views.get(key)
        if view is None:
            rng = self.rt.route_rng(client)
            view = ClientView(
                self.env, policy, len(self.replicas[server]), rng, self.rec.ejections[server]
            )
            self.views[key] = view
        return view

    def _retry_loop(self, client, server, policy, depth, req, abandoned):
        view = self._view(client, server, policy)
        tried: list[int] = []
        retry = 0
        while True:
            outcome = yield from self._try(client, True, server, policy, view, depth, req, tried)
            if retry > 0:
                view.active_retries -= 1
            if (
                outcome == OK
                or retry >= policy.attempts
                or outcome not in policy.retry_on
                or (abandoned is not None and abandoned[0])
                or not view.retry_allowed()
            ):
                return outcome
            retry += 1
            view.active_retries += 1
            yield self.env.timeout(view.backoff(retry))
            if abandoned is not None and abandoned[0]:
                view.active_retries -= 1
                return outcome

    def _try(self, client, cmeshed, server, policy, view, depth, req, tried):
        """One attempt, as the client sees it (pool, per-try timeout, outlier record)."""
        env, rec = self.env, self.rec
        start = env.now
        measured = req.measured
        if view is None:
            if measured:
                rec.attempt_started(client, server, cmeshed, cmeshed and self.plan.meshed[server])
            replica = self.rt.route_rng(client).randrange(len(self.replicas[server]))
        else:
            pool = view.pool
            if pool is not None and (
                pool.count >= pool.capacity
                and policy.max_pending is not None
                and len(pool.queue) >= policy.max_pending
            ):
                if measured:
                    rec.attempt_started(client, server, cmeshed, False)
                    rec.attempt_ended(server, OVERFLOW, None)
                return OVERFLOW
            if measured:
                rec.attempt_started(client, server, cmeshed, self.plan.meshed[server])
            view.active += 1  # active + pending requests, as Envoy's retry budget counts
            if pool is not None:
                wait = pool.acquire()
                if wait is not None:
                    yield wait
            replica = view.pick(tried)
            if replica is None:
                view.active -= 1
                if pool is not None:
                    pool.release()
                if measured:
                    rec.attempt_ended(server, UNAVAILABLE, env.now - start)
                return UNAVAILABLE
            tried.append(replica)
            view.outstanding[replica] += 1
        per_try = policy.per_try_timeout if policy is not None else None
        attempt = self._attempt(client, cmeshed, server, replica, depth, req)
        if per_try is None:
            outcome = yield from attempt
        else:
            proc = env.process(attempt)
            done = yield proc | env.timeout(per_try)
            outcome = done[proc] if proc in done else TIMEOUT
        if view is not None:
            view.outstanding[replica] -= 1
            view.active -= 1
            if pool is not None:
                pool.release()
            view.record(replica, _FAILED_FOR_OUTLIER[outcome])
        if measured:
            rec.attempt_ended(server, outcome, env.now - start)
        return outcome

    def _attempt(self, client, cmeshed, server, replica_index, depth, req):
        """Proxies and network there, the server replica, network back.

        The way back is one network delay that nothing can interrupt, so it is waited
        together with the way there (one event instead of two): the client sees the
        same latency; the server sees the request one network delay later. A refused
        connection comes back after the way there only.
        """
        env, rt, plan = self.env, self.rt, self.plan
        smeshed = plan.meshed[server]
        delay = rt.request_delay(client, cmeshed, server, smeshed, plan)
        replica = self.replicas[server][replica_index]
        refused = plan.strict[server] and not cmeshed
        if refused or replica.down:
            if delay > 0:
                yield env.timeout(delay)
            if refused and req.measured:
                self.rec.breakage(client, server)
            return CONNECT_FAILURE
        delay += rt.net_delay(client)
        if delay > 0:
            yield env.timeout(delay)
            if replica.down:  # the outage began while the request was on its way
                return CONNECT_FAILURE
        if req.measured:
            self.rec.reached(client, server, cmeshed, smeshed)
        if replica.crash is None:
            outcome = yield from self._serve(server, replica, depth + 1, req)
            return outcome
        proc = env.process(self._serve(server, replica, depth + 1, req))
        done = yield proc | replica.crash
        return done[proc] if proc in done else RESET

    # --- at the server replica (SPEC §10.3) -------------------------------------------

    def _serve(self, server: int, replica: Replica, depth: int, req: Request):
        env, rt = self.env, self.rt
        service = self.model.services[server]
        if depth > self.max_depth:
            return ERROR
        res = replica.res
        if (
            service.queue_limit is not None
            and res.count >= res.capacity
            and len(res.queue) >= service.queue_limit
        ):
            return UNAVAILABLE
        wait = res.acquire()
        if wait is not None:
            yield wait
        held = env.now
        work = rt.service_time[server]()
        for sampler, probability, _ in replica.latency_faults:
            if rt.fault_rng[server].random() < probability:
                work += sampler()
        if work > 0:
            yield env.timeout(work)
        error_rate = service.error_rate + replica.extra_error
        failed = error_rate > 0 and rt.error_rng[server].random() < error_rate
        if failed or not service.threads or not service.script:
            res.release()
            self.rec.busy(server, held, env.now)
            if failed or not service.script:
                return ERROR if failed else OK
            outcome = yield from self._script(server, replica, depth, req)
            return outcome
        outcome = yield from self._script(server, replica, depth, req)
        res.release()
        self.rec.busy(server, held, env.now)
        return outcome

    def _script(self, server: int, replica: Replica, depth: int, req: Request):
        service = self.model.services[server]
        meshed = self.plan.meshed[server]
        prob = self.rt.call_rng[server].random
        epoch = replica.epoch
        for parallel, item in service.script:
            if replica.epoch != epoch:
                return RESET  # the pod crashed under this request: it makes no more calls
            if parallel:
                outcome = yield from self._parallel(server, meshed, item, depth, req, prob)
            else:
                outcome = yield from self._item(server, meshed, item, depth, req, prob)
            if outcome != OK:
                return ERROR  # a required call failed: this request answers 500 (SPEC §10.3)
        return OK

    def _item(self, server, meshed, spec, depth, req, prob):
        if spec[2] < 1.0 and prob() >= spec[2]:
            return OK
        for _ in range(spec[1]):
            outcome = yield from self.call(server, meshed, spec[0], spec, depth, req)
            if outcome != OK:
                return OK if spec[3] else outcome
        return OK

    def _parallel(self, server, meshed, items, depth, req, prob):
        env = self.env
        procs = [
            env.process(self._item(server, meshed, spec, depth, req, prob))
            for spec in items
            if spec[2] >= 1.0 or prob() < spec[2]
        ]
        if not procs:
            return OK
        done = yield env.all_of(procs)
        for proc in procs:
            if done[proc] != OK:
                return done[proc]
        return OK


def simulate(
    model: Model,
    plan: PhasePlan,
    replication: int,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Recorder:
    """Simulate one phase of one replication and return what was recorded."""
    return Simulation(model, plan, replication).run(on_progress, should_stop)
