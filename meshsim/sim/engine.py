"""The discrete-event core: one phase, one replication, in SimPy.

Time inside the engine is in **seconds**. A request flows as SPEC §10 says: the
application layer of the client (timeout, retries), the mesh layer when the client
is meshed (route timeout, retries, pool, outlier detection), then one attempt
(proxies and network each way, the replica's FIFO queue and workers, its script).

A call with no timeout runs inline (``yield from``); only races (timeouts), parallel
groups and crashes cost a SimPy process. Everything recorded is a plain number.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from functools import partial
from typing import Any, cast

import simpy

from meshsim.errors import SimulationCancelled
from meshsim.sim.clientview import ClientView
from meshsim.sim.compile import CallSpec, PhasePlan, PolicyRT
from meshsim.sim.model import EntryRT, Link, Model, Request
from meshsim.sim.outcomes import OUTLIER_FAILURES, Outcome, flags
from meshsim.sim.recorder import Recorder
from meshsim.sim.replica import Replica, run_fault

__all__ = ["Simulation", "simulate"]

Steps = Generator[simpy.Event, Any, Outcome]
"""A SimPy process body that ends with an outcome."""

# module globals: the hot loop reads them without an attribute lookup on the enum
OK, ERROR, UNAVAILABLE, TIMEOUT = Outcome.OK, Outcome.ERROR, Outcome.UNAVAILABLE, Outcome.TIMEOUT
RESET, CONNECT_FAILURE, OVERFLOW = Outcome.RESET, Outcome.CONNECT_FAILURE, Outcome.OVERFLOW
_FAILED_FOR_OUTLIER = flags(OUTLIER_FAILURES)
_CHUNKS = 50


class Simulation:
    """One phase × one replication of a compiled model."""

    def __init__(self, model: Model, plan: PhasePlan, replication: int) -> None:
        self.env = env = simpy.Environment()
        self.model = model
        self.plan = plan
        self.rt = model.runtime(replication, plan)
        self.link = self.rt.link
        self.rec = Recorder(model, plan)
        self.replicas = [
            [Replica(env, s.concurrency) for _ in range(s.replicas)] for s in model.services
        ]
        self.views: dict[int, ClientView] = {}
        self.max_depth = model.max_depth
        self.ambient = model.profile.ambient
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
            env.process(run_fault(env, fault, self.replicas[fault.service]))
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

    def _arrivals(self, e: int) -> Generator[simpy.Event, Any, None]:
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

    def _entry_request(self, entry: EntryRT, req: Request) -> Generator[simpy.Event, Any, None]:
        rec = self.rec
        if req.measured:
            rec.entry_started(req)
        link = self.link(self.model.entry_client_id(entry.index), entry.service)
        meshed = entry.gateway and self.plan.gateway_meshed
        outcome = yield from self.call(link, meshed, None, 0, req)
        if req.measured:
            rec.entry_done(req, outcome, self.env.now)

    # --- layers of one logical call (SPEC §10.2) -------------------------------------

    def call(
        self, link: Link, cmeshed: bool, spec: CallSpec | None, depth: int, req: Request
    ) -> Steps:
        """A logical call: application layer, then mesh layer, then attempts."""
        rec = self.rec
        server = link.server
        if req.measured:
            rec.logical_call(link.client, server, cmeshed)
            req.touched |= self.bits[server]
        policy = self.plan.policies[server] if cmeshed else None
        app = spec is not None and (spec.timeout_s is not None or spec.retries > 0)
        if policy is None and not app:
            outcome = yield from self._try(link, cmeshed, None, None, depth, req, [])
        elif not app:
            outcome = yield from self._mesh(link, cmeshed, policy, depth, req, None)
        else:
            assert spec is not None
            outcome = yield from self._app_layer(link, cmeshed, policy, spec, depth, req)
        if req.measured and outcome != OK:
            rec.call_failed(link.client, server)
        return outcome

    def _app_layer(
        self,
        link: Link,
        cmeshed: bool,
        policy: PolicyRT | None,
        spec: CallSpec,
        depth: int,
        req: Request,
    ) -> Steps:
        env = self.env
        timeout, tries, backoff = spec.timeout_s, spec.retries + 1, spec.backoff_s
        outcome = ERROR
        for k in range(tries):
            if timeout is None:
                outcome = yield from self._mesh(link, cmeshed, policy, depth, req, None)
            else:
                flag = [False]
                proc = env.process(self._mesh(link, cmeshed, policy, depth, req, flag))
                done = yield proc | env.timeout(timeout)
                if proc in done:
                    outcome = done[proc]
                else:
                    flag[0] = True
                    outcome = TIMEOUT
                    if req.measured:
                        self.rec.app_timeout(link.server)
            if outcome == OK:
                return OK
            if k + 1 < tries and backoff > 0:
                yield env.timeout(backoff)
        return outcome

    def _mesh(
        self,
        link: Link,
        cmeshed: bool,
        policy: PolicyRT | None,
        depth: int,
        req: Request,
        abandoned: list[bool] | None,
    ) -> Steps:
        if policy is None:
            outcome = yield from self._try(link, cmeshed, None, None, depth, req, [])
            return outcome
        if policy.route_timeout is None:
            outcome = yield from self._retry_loop(link, policy, depth, req, abandoned)
            return outcome
        flag = abandoned if abandoned is not None else [False]
        env = self.env
        proc = env.process(self._retry_loop(link, policy, depth, req, flag))
        done = yield proc | env.timeout(policy.route_timeout)
        if proc in done:
            return cast(Outcome, done[proc])
        flag[0] = True
        if req.measured:
            self.rec.route_timeout(link.server)
        return TIMEOUT

    def _view(self, link: Link, policy: PolicyRT) -> ClientView:
        view = self.views.get(link.key)
        if view is None:
            server = link.server
            view = ClientView(
                self.env,
                policy,
                len(self.replicas[server]),
                link.route,
                link.backoff,
                partial(self.rec.ejected, server),
            )
            self.views[link.key] = view
        return view

    def _retry_loop(
        self,
        link: Link,
        policy: PolicyRT,
        depth: int,
        req: Request,
        abandoned: list[bool] | None,
    ) -> Steps:
        view = self._view(link, policy)
        tried: list[int] = []
        retry = 0
        while True:
            outcome = yield from self._try(link, True, policy, view, depth, req, tried)
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

    def _try(
        self,
        link: Link,
        cmeshed: bool,
        policy: PolicyRT | None,
        view: ClientView | None,
        depth: int,
        req: Request,
        tried: list[int],
    ) -> Steps:
        """One attempt, as the client sees it (pool, per-try timeout, outlier record)."""
        env, rec = self.env, self.rec
        client, server = link.client, link.server
        start = env.now
        measured = req.measured
        pool = None
        if view is None:
            if measured:
                rec.attempt_started(client, server, cmeshed, cmeshed and self.plan.meshed[server])
            replica = link.route.randrange(len(self.replicas[server]))
        else:
            assert policy is not None
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
            picked = view.pick(tried)
            if picked is None:
                view.active -= 1
                if pool is not None:
                    pool.release()
                if measured:
                    rec.attempt_ended(server, UNAVAILABLE, env.now - start)
                return UNAVAILABLE
            replica = picked
            tried.append(replica)
            view.outstanding[replica] += 1
        per_try = policy.per_try_timeout if policy is not None else None
        attempt = self._attempt(link, cmeshed, replica, depth, req)
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

    def _attempt(
        self, link: Link, cmeshed: bool, replica_index: int, depth: int, req: Request
    ) -> Steps:
        """Proxies and network there, the server replica, network back.

        The way back is one network delay that nothing can interrupt, so it is waited
        together with the way there (one event instead of two): the client sees the
        same latency; the server sees the request one network delay later. A refused
        connection comes back after the way there only.
        """
        env, plan = self.env, self.plan
        server = link.server
        smeshed = plan.meshed[server]
        net = link.net
        delay = 0.0 if net is None else net()
        if cmeshed:
            delay += link.out_proxy()
        if smeshed:
            delay += link.in_proxy()
        if self.ambient and cmeshed and plan.waypoint[server]:
            delay += link.waypoint()
        replica = self.replicas[server][replica_index]
        refused = plan.strict[server] and not cmeshed
        if refused or replica.down:
            if delay > 0:
                yield env.timeout(delay)
            if refused and req.measured:
                self.rec.breakage(link.client, server)
            return CONNECT_FAILURE
        if net is not None:
            delay += net()
        if delay > 0:
            yield env.timeout(delay)
            if replica.down:  # the outage began while the request was on its way
                return CONNECT_FAILURE
        if req.measured:
            self.rec.reached(link.client, server, cmeshed, smeshed)
        if replica.crash is None:
            outcome = yield from self._serve(link, replica, depth + 1, req)
            return outcome
        proc = env.process(self._serve(link, replica, depth + 1, req))
        done = yield proc | replica.crash
        return done[proc] if proc in done else RESET

    # --- at the server replica (SPEC §10.3) -------------------------------------------

    def _serve(self, link: Link, replica: Replica, depth: int, req: Request) -> Steps:
        """The server's work for a request of ``link.client``, drawn from that link."""
        env = self.env
        server = link.server
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
        work = link.service_time()
        for fault in replica.latency_faults:
            if link.fault_hits.random() < fault.probability:
                work += link.fault_delay(fault)()
        if work > 0:
            yield env.timeout(work)
        error_rate = service.error_rate + replica.extra_error
        failed = error_rate > 0 and link.errors.random() < error_rate
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

    def _script(self, server: int, replica: Replica, depth: int, req: Request) -> Steps:
        service = self.model.services[server]
        meshed = self.plan.meshed[server]
        epoch = replica.epoch
        for parallel, calls in service.script:
            if replica.epoch != epoch:
                return RESET  # the pod crashed under this request: it makes no more calls
            if parallel:
                outcome = yield from self._parallel(server, meshed, calls, depth, req)
            else:
                outcome = yield from self._item(server, meshed, calls[0], depth, req, False)
            if outcome != OK:
                return ERROR  # a required call failed: this request answers 500 (SPEC §10.3)
        return OK

    def _item(
        self,
        server: int,
        meshed: bool,
        spec: CallSpec,
        depth: int,
        req: Request,
        drawn: bool,
    ) -> Steps:
        """``count`` calls of one script entry (``drawn``: its probability was decided)."""
        link = self.link(server, spec.target)
        probability = spec.probability
        if not drawn and probability < 1.0 and link.calls.random() >= probability:
            return OK
        for _ in range(spec.times):
            outcome = yield from self.call(link, meshed, spec, depth, req)
            if outcome != OK:
                return OK if spec.optional else outcome
        return OK

    def _parallel(
        self,
        server: int,
        meshed: bool,
        calls: tuple[CallSpec, ...],
        depth: int,
        req: Request,
    ) -> Steps:
        env, link = self.env, self.link
        procs = [
            env.process(self._item(server, meshed, spec, depth, req, True))
            for spec in calls
            if spec.probability >= 1.0
            or link(server, spec.target).calls.random() < spec.probability
        ]
        if not procs:
            return OK
        done = yield env.all_of(procs)
        for proc in procs:
            outcome: Outcome = done[proc]
            if outcome != OK:
                return outcome
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
