"""The discrete-event core: one phase, one replication, in SimPy.

Time inside the engine is in **seconds**. A request flows as SPEC §10 says: the
application layer of the client (timeout, retries), the mesh layer when the client
is meshed (route timeout, retries, pool, outlier detection), then one attempt
(proxies and network each way, the replica's FIFO queue and workers, its script).

A call with no timeout runs inline (``yield from``); only races (timeouts), parallel
groups and crashes cost a SimPy process. Everything recorded is a plain number.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any, cast

import simpy

from meshsim.errors import SimulationCancelled
from meshsim.sim.clientview import ClientView
from meshsim.sim.compile import CallSpec, PhasePlan, PolicyRT, Script
from meshsim.sim.events import Race, timeout, won
from meshsim.sim.model import EntryRT, FaultRT, Link, Model, Request
from meshsim.sim.outcomes import OUTLIER_FAILURES, Outcome, flags
from meshsim.sim.recorder import Recorder
from meshsim.sim.replica import Replica, busy_until, run_fault

__all__ = ["Simulation", "simulate"]

Steps = Generator[simpy.Event, Any, Outcome]
"""A SimPy process body that ends with an outcome."""

# module globals: the hot loop reads them without an attribute lookup on the enum
OK, ERROR, UNAVAILABLE, TIMEOUT = Outcome.OK, Outcome.ERROR, Outcome.UNAVAILABLE, Outcome.TIMEOUT
RESET, CONNECT_FAILURE, OVERFLOW = Outcome.RESET, Outcome.CONNECT_FAILURE, Outcome.OVERFLOW
DENIED = Outcome.DENIED
_FAILED_FOR_OUTLIER = flags(OUTLIER_FAILURES)
STACK_LEVELS = 16
"""Every this many call levels, a server's work runs as its own SimPy process.

A child call runs inline (``yield from``), so each event resumes through every level
above it: on a chain 200 calls deep a visit cost three times what it costs 16 deep.
A process per 16 levels bounds that. Requests nesting less deeply (every sample) run
exactly as before; deeper ones see same-instant events in another order, which draws
the same numbers from the same streams."""
_CHUNKS = 50
# where the current try of a call is; _NO_HOST: it found every replica ejected ("no
# healthy upstream": a local 503 that is never retried, router.cc)
_IDLE, _PENDING, _IN_FLIGHT, _NO_HOST = range(4)

Views = dict[int, ClientView]
"""One proxy's views, by destination service (SPEC §10.1)."""


class _Try:
    """The mesh layer's current try of one logical call, for a route timeout to reset."""

    __slots__ = ("state", "replica", "start", "event", "retry_held", "aborted")

    def __init__(self) -> None:
        self.state = _IDLE
        self.replica = 0
        self.start = 0.0
        self.event: simpy.Event | None = None
        self.retry_held = False  # a decided retry holds the retry breaker until its outcome
        self.aborted = False


class Simulation:
    """One phase × one replication of a compiled model."""

    def __init__(self, model: Model, plan: PhasePlan, replication: int) -> None:
        self.env = env = simpy.Environment()
        self.model = model
        self.plan = plan
        self.rt = model.runtime(replication, plan)
        self.link = self.rt.link
        self.rec = Recorder(model, plan) if model.series_s is None else self._series_recorder()
        # what each request records into: measured ones the recorder, warm-up ones only
        # the series (None: nothing), so the hot loop checks one attribute as before
        self.unmeasured_rec = getattr(self.rec, "tap", None)
        self.replicas = [
            [
                Replica(env, s.concurrency, plan.smeshed(i, r), model.replica_cluster[i][r])
                for r in range(s.replicas)
            ]
            for i, s in enumerate(model.services)
        ]
        # SPEC §20: services whose certificate has expired (> 0), who splits its metrics
        self.cert_expired = [0] * len(model.services)
        self.split = [
            plan.replica_meshed is not None and plan.replica_meshed[i] is not None
            for i in range(len(model.services))
        ]
        # one proxy per entrypoint (the gateway), per client replica (its sidecar, kept on
        # the Replica) and per ambient waypoint (shared by all its callers): SPEC §10.1
        self.entry_views: list[Views] = [{} for _ in model.entrypoints]
        self.waypoint_views: Views = {}
        self.max_depth = model.max_depth
        # per service, the link of each step of its script, from its first visit on
        self.targets: list[tuple[Link, ...] | None] = [None] * len(model.services)
        self.ambient = model.profile.ambient
        # which services each measured request addressed, as a bit mask: exposure of any
        # set of onboarded services is computed from it afterwards (SPEC §11.3)
        self.bits = [1 << i for i in range(len(model.services))]
        for fault in model.faults:
            if fault.kind in ("crash", "proxy-crash"):
                for replica in self._hit(fault)[: fault.replicas]:
                    replica.crash = env.event()

    def _hit(self, fault: FaultRT) -> list[Replica]:
        """Replicas a fault can hit: a proxy crash only those that run a proxy."""
        replicas = self.replicas[fault.service]
        return [r for r in replicas if r.meshed] if fault.kind == "proxy-crash" else replicas

    def _cert_expiry(self, fault: FaultRT) -> Generator[simpy.Event, Any, None]:
        """A certificate expiry: mTLS to and from the service fails in its window."""
        if fault.start > 0:
            yield timeout(self.env, fault.start)
        self.cert_expired[fault.service] += 1
        if fault.duration is not None:
            yield timeout(self.env, fault.duration)
            self.cert_expired[fault.service] -= 1

    def _series_recorder(self) -> Recorder:
        from meshsim.sim.series import SeriesRecorder

        return SeriesRecorder(self.model, self.plan, self)

    # --- driving ---------------------------------------------------------------------

    def run(
        self,
        on_progress: Callable[[float], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_series: Callable[[Any], None] | None = None,
    ) -> Recorder:
        """Run arrivals until ``duration``, then drain the measured requests.

        ``on_series``, when the run records a time series, gets the buckets completed
        so far after every chunk (a :class:`~meshsim.sim.samples.SeriesSample`).
        """
        completed = getattr(self.rec, "completed", None) if on_series is not None else None
        env, model = self.env, self.model
        for fault in model.faults:
            if fault.kind == "cert-expiry":
                env.process(self._cert_expiry(fault))
            else:
                env.process(run_fault(env, fault, self._hit(fault)))
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
            if completed is not None:
                on_series(completed())  # type: ignore[misc]
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
            yield timeout(env, gap())
            now = env.now
            if now >= duration:
                return
            req = Request(e, now, warmup <= now)
            req.rec = self.rec if req.measured else self.unmeasured_rec
            env.process(self._entry_request(entry, req))

    def _entry_request(self, entry: EntryRT, req: Request) -> Generator[simpy.Event, Any, None]:
        rec = req.rec
        if rec is not None:
            rec.entry_started(req)
        link = self.link(self.model.entry_client_id(entry.index), entry.service)
        meshed = entry.gateway and self.plan.gateway_meshed
        outcome = yield from self.call(link, meshed, None, 0, req, self.entry_views[entry.index], 0)
        if rec is not None:
            rec.entry_done(req, outcome, self.env.now)

    # --- layers of one logical call (SPEC §10.2) -------------------------------------

    def call(
        self,
        link: Link,
        cmeshed: bool,
        spec: CallSpec | None,
        depth: int,
        req: Request,
        proxy: Views,
        src: int,
    ) -> Steps:
        """A logical call: application layer, then mesh layer, then attempts.

        ``proxy`` holds the views of the calling proxy: the client replica's sidecar, or
        the entrypoint's gateway; ``src`` is the cluster the client runs in.

        Without an application timeout or retries and without a route timeout, the mesh
        layer's retry loop, each try and each attempt run inline in this one generator
        (a per-try timeout races the attempt's own process, as in :meth:`_try`): a call
        level then costs two frames (this and :meth:`_serve`) instead of six, and every
        event resumes a shallow stack. The other calls go through the layered methods
        (:meth:`_app_layer`, :meth:`_mesh`, :meth:`_retry_loop`, :meth:`_try`,
        :meth:`_attempt`), which a route timeout needs to reset a try in flight. Both
        ways make the same draws and the same events in the same order, so the results
        are identical bit for bit (checked on every sample and mesh profile).
        """
        env, rec, plan = self.env, req.rec, self.plan
        client, server = link.client, link.server
        measured = rec is not None
        if measured:
            rec.logical_call(client, server, cmeshed)
            req.touched |= self.bits[server]
        policy = plan.policies[server] if cmeshed else None
        if spec is not None and (spec.timeout_s is not None or spec.retries > 0):
            outcome = yield from self._app_layer(
                link, cmeshed, policy, spec, depth, req, proxy, src
            )
        elif policy is not None and policy.route_timeout is not None:
            outcome = yield from self._mesh(link, cmeshed, policy, depth, req, None, proxy, src)
        else:
            outcome = ERROR
            split = self.split[server]
            view = None if policy is None else self._view(link, policy, proxy, src)
            tried: list[int] = []
            retry = 0
            retry_held = False  # a decided retry holds the retry breaker until its outcome
            while True:
                # --- a try (as _try) ---
                start = env.now
                picked = -1
                if view is None:
                    if measured:
                        mtls = cmeshed and plan.meshed[server] and not split
                        rec.attempt_started(client, server, cmeshed, mtls)
                    if cmeshed or not self.model.multi_network:
                        picked = link.route.randrange(len(self.replicas[server]))
                    else:  # plaintext: only endpoints of its own network are in reach (§20)
                        reach = self.model.reach[server][self.model.cluster_network[src]]
                        if not reach:
                            if measured:
                                rec.attempt_ended(server, CONNECT_FAILURE, 0.0)
                            outcome = CONNECT_FAILURE
                            break
                        picked = reach[link.route.randrange(len(reach))]
                elif view.limited and view.overflows():
                    if measured:
                        rec.attempt_started(client, server, cmeshed, False)
                        rec.attempt_ended(server, OVERFLOW, None)
                    outcome = OVERFLOW
                else:
                    if measured:
                        rec.attempt_started(
                            client, server, cmeshed, plan.meshed[server] and not split
                        )
                    view.active += 1  # active + pending requests, as Envoy's budget counts
                    conns = view.conns
                    if conns is not None:
                        wait = conns.acquire()
                        if wait is not None:
                            yield wait
                    view.active_rq += 1
                    if view.shared:  # a waypoint: each caller draws from its own stream
                        view.route_rng = link.route
                    choice = view.pick(tried)
                    if choice is None:  # no healthy upstream: a local 503, never retried
                        view.active_rq -= 1
                        view.active -= 1
                        if conns is not None:
                            conns.release()
                        if measured:
                            rec.attempt_ended(server, UNAVAILABLE, env.now - start)
                        if retry_held:
                            view.active_retries -= 1
                        outcome = UNAVAILABLE
                        break
                    picked = choice
                    tried.append(picked)
                    view.outstanding[picked] += 1
                if picked >= 0:
                    per_try = None if view is None else view.policy.per_try_timeout
                    if per_try is not None:
                        attempt = self._attempt(link, cmeshed, picked, depth, req, src)
                        proc = env.process(attempt)
                        yield Race(env, proc, timeout(env, per_try))
                        outcome = proc._value if won(proc) else TIMEOUT
                    else:
                        # --- the attempt (as _attempt) ---
                        replica = self.replicas[server][picked]
                        smeshed = replica.meshed
                        net = link.net
                        delay = 0.0 if net is None else net()
                        if cmeshed:
                            delay += link.out_proxy()
                        if smeshed:
                            delay += link.in_proxy()
                        if self.ambient and cmeshed and plan.waypoint[server]:
                            delay += link.waypoint()
                        crossing = (
                            cmeshed and self.model.multi_network and self._crosses(src, replica)
                        )
                        if crossing:  # through the east-west gateways, there (and back)
                            delay += link.cross(replica.cluster)()
                        refused = plan.strict[server] and not cmeshed and smeshed
                        expired = cmeshed and smeshed and self._cert_failed(client, server)
                        if refused or replica.down or expired:
                            if delay > 0:
                                yield timeout(env, delay)
                            if refused and measured:
                                rec.breakage(client, server)
                            outcome = CONNECT_FAILURE
                        else:
                            if measured and cmeshed and smeshed and split:
                                rec.mtls_attempt(client, server)
                            if net is not None:
                                delay += net()
                            if crossing:
                                delay += link.cross(replica.cluster)()
                            if delay > 0:
                                yield timeout(env, delay)
                            if replica.down:  # the outage began on the way there
                                outcome = CONNECT_FAILURE
                            elif (
                                smeshed
                                and plan.authz is not None
                                and self._denied(client, server, cmeshed)
                            ):
                                if measured:
                                    rec.reached(client, server, cmeshed, smeshed)
                                    rec.denial(client, server)  # the server's proxy: 403
                                outcome = DENIED
                            else:
                                if measured:
                                    rec.reached(client, server, cmeshed, smeshed)
                                serve = self._serve(link, replica, depth + 1, req)
                                if replica.crash is None:
                                    if (depth + 1) % STACK_LEVELS:
                                        outcome = yield from serve
                                    else:  # a fresh stack (see STACK_LEVELS)
                                        outcome = yield env.process(serve)
                                else:
                                    proc = env.process(serve)
                                    done = yield proc | replica.crash
                                    outcome = done[proc] if proc in done else RESET
                    # --- the end of the try ---
                    if view is not None:
                        view.release(picked)
                        if view.detector:
                            view.record(picked, _FAILED_FOR_OUTLIER[outcome])
                        if view.ewma is not None:
                            view.observe_rtt(picked, start)
                    if measured:
                        rec.attempt_ended(server, outcome, env.now - start)
                        if split:
                            meshed_replica = self.replicas[server][picked].meshed
                            rec.replica_group(server, meshed_replica, outcome)
                    if view is None:
                        break
                # --- the retry decision (as _retry_loop) ---
                assert view is not None and policy is not None
                if retry_held:
                    view.active_retries -= 1
                    retry_held = False
                if outcome == OK or outcome not in policy.retry_on:
                    if view.budget is not None:
                        view.not_retryable()
                    break
                if retry >= policy.attempts or not view.retry_allowed():
                    break
                retry += 1
                view.active_retries += 1
                retry_held = True
                view.backoff_rng = link.backoff  # made at the first retry (see _view)
                yield timeout(env, view.backoff(retry))
        if measured and outcome != OK:
            rec.call_failed(client, server)
        return outcome

    def _app_layer(
        self,
        link: Link,
        cmeshed: bool,
        policy: PolicyRT | None,
        spec: CallSpec,
        depth: int,
        req: Request,
        proxy: Views,
        src: int,
    ) -> Steps:
        env = self.env
        limit, tries, backoff = spec.timeout_s, spec.retries + 1, spec.backoff_s
        outcome = ERROR
        for k in range(tries):
            if limit is None:
                outcome = yield from self._mesh(link, cmeshed, policy, depth, req, None, proxy, src)
            else:
                flag = [False]
                proc = env.process(self._mesh(link, cmeshed, policy, depth, req, flag, proxy, src))
                yield Race(env, proc, timeout(env, limit))
                if won(proc):
                    outcome = proc._value
                else:
                    flag[0] = True
                    outcome = TIMEOUT
                    if req.rec is not None:
                        req.rec.app_timeout(link.server)
            if outcome == OK or outcome == DENIED:
                return outcome  # a 403 is about the caller: asking again cannot help
            if k + 1 < tries and backoff > 0:
                yield timeout(env, backoff)
        return outcome

    def _mesh(
        self,
        link: Link,
        cmeshed: bool,
        policy: PolicyRT | None,
        depth: int,
        req: Request,
        abandoned: list[bool] | None,
        proxy: Views,
        src: int,
    ) -> Steps:
        if policy is None:
            outcome = yield from self._try(link, cmeshed, None, depth, req, [], None, src)
            return outcome
        view = self._view(link, policy, proxy, src)
        current = _Try()
        if policy.route_timeout is None:
            outcome = yield from self._retry_loop(link, view, depth, req, abandoned, current, src)
            return outcome
        flag = abandoned if abandoned is not None else [False]
        env = self.env
        proc = env.process(self._retry_loop(link, view, depth, req, flag, current, src))
        yield Race(env, proc, timeout(env, policy.route_timeout))
        if won(proc):
            return cast(Outcome, proc._value)
        flag[0] = True
        self._reset(link.server, view, current, req)
        return TIMEOUT

    def _reset(self, server: int, view: ClientView, current: _Try, req: Request) -> None:
        """The route timeout fired: reset the try in flight (router.cc onResponseTimeout).

        Its slot is freed at once and it counts as a 504 of its replica; a pending try
        leaves the queue; a decided retry gives its hold on the retry breaker back.
        """
        current.aborted = True
        if current.retry_held:
            view.active_retries -= 1
            current.retry_held = False
        if current.state == _IN_FLIGHT:
            replica = current.replica
            view.release(replica)
            view.record(replica, True)
            view.observe_rtt(replica, current.start)
        elif current.state == _PENDING:
            assert view.conns is not None and current.event is not None
            if not current.event.triggered:
                view.conns.queue.remove(current.event)
            view.active -= 1
        else:  # between tries: no attempt to end
            if req.rec is not None:
                req.rec.route_timeout(server)
            return
        if req.rec is not None:
            req.rec.attempt_ended(server, TIMEOUT, self.env.now - current.start)

    def _view(self, link: Link, policy: PolicyRT, proxy: Views, src: int) -> ClientView:
        server = link.server
        if self.ambient and self.plan.waypoint[server]:
            proxy = self.waypoint_views  # one waypoint in front of the server, for all
        view = proxy.get(server)
        if view is None:
            view = ClientView(
                self.env,
                policy,
                self.replicas[server],
                link.route,
                None,  # the back-off stream: the link's, handed in at each back-off
                partial(self.rec.ejected, server),
            )
            view.shared = proxy is self.waypoint_views
            if self.model.locality_lb and not view.shared:
                clusters = self.model.replica_cluster[server]
                view.local = [i for i, c in enumerate(clusters) if c == src]
            proxy[server] = view
        return view

    def _retry_loop(
        self,
        link: Link,
        view: ClientView,
        depth: int,
        req: Request,
        abandoned: list[bool] | None,
        current: _Try,
        src: int,
    ) -> Steps:
        policy = view.policy
        tried: list[int] = []
        retry = 0
        while True:
            outcome = yield from self._try(link, True, view, depth, req, tried, current, src)
            if current.retry_held:
                view.active_retries -= 1
                current.retry_held = False
            if current.aborted:
                return outcome
            if current.state == _NO_HOST:
                return outcome
            if outcome == OK or outcome not in policy.retry_on:
                if view.budget is not None:
                    view.not_retryable()
                return outcome
            if (
                retry >= policy.attempts
                or (abandoned is not None and abandoned[0])
                or not view.retry_allowed()
            ):
                return outcome
            retry += 1
            view.active_retries += 1
            current.retry_held = True
            view.backoff_rng = link.backoff  # made at the first retry (see _view)
            yield timeout(self.env, view.backoff(retry))
            if current.aborted:
                return outcome
            if abandoned is not None and abandoned[0]:
                view.active_retries -= 1
                current.retry_held = False
                return outcome

    def _try(
        self,
        link: Link,
        cmeshed: bool,
        view: ClientView | None,
        depth: int,
        req: Request,
        tried: list[int],
        current: _Try | None,
        src: int,
    ) -> Steps:
        """One attempt, as the client sees it (pool, per-try timeout, outlier record)."""
        env, rec = self.env, req.rec
        client, server = link.client, link.server
        start = env.now
        measured = rec is not None
        split = self.split[server]
        if view is None:
            if measured:
                mtls = cmeshed and self.plan.meshed[server] and not split
                rec.attempt_started(client, server, cmeshed, mtls)
            if cmeshed or not self.model.multi_network:
                replica = link.route.randrange(len(self.replicas[server]))
            else:  # plaintext: only the endpoints of its own network are in reach (§20)
                reach = self.model.reach[server][self.model.cluster_network[src]]
                if not reach:
                    if measured:
                        rec.attempt_ended(server, CONNECT_FAILURE, 0.0)
                    return CONNECT_FAILURE
                replica = reach[link.route.randrange(len(reach))]
            outcome = yield from self._attempt(link, cmeshed, replica, depth, req, src)
            if measured:
                rec.attempt_ended(server, outcome, env.now - start)
                if split:
                    rec.replica_group(server, self.replicas[server][replica].meshed, outcome)
            return outcome
        assert current is not None
        if view.limited and view.overflows():
            if measured:
                rec.attempt_started(client, server, cmeshed, False)
                rec.attempt_ended(server, OVERFLOW, None)
            return OVERFLOW
        if measured:
            rec.attempt_started(client, server, cmeshed, self.plan.meshed[server] and not split)
        view.active += 1  # active + pending requests, as Envoy's retry budget counts
        current.state = _IDLE
        current.start = start
        conns = view.conns
        if conns is not None:
            wait = conns.acquire()
            if wait is not None:
                current.state = _PENDING
                current.event = wait
                yield wait
                if current.aborted:  # the route timeout fired as the connection came
                    conns.release()
                    return TIMEOUT
        view.active_rq += 1
        if view.shared:  # a waypoint: each caller draws from its own link's stream
            view.route_rng = link.route
        picked = view.pick(tried)
        if picked is None:
            current.state = _NO_HOST
            view.active_rq -= 1
            view.active -= 1
            if conns is not None:
                conns.release()
            if measured:
                rec.attempt_ended(server, UNAVAILABLE, env.now - start)
            return UNAVAILABLE
        replica = picked
        tried.append(replica)
        view.outstanding[replica] += 1
        current.state = _IN_FLIGHT
        current.replica = replica
        per_try = view.policy.per_try_timeout
        attempt = self._attempt(link, cmeshed, replica, depth, req, src)
        if per_try is None:
            outcome = yield from attempt
        else:
            proc = env.process(attempt)
            yield Race(env, proc, timeout(env, per_try))
            outcome = proc._value if won(proc) else TIMEOUT
        if current.aborted:
            return TIMEOUT  # the route timeout reset it and did its bookkeeping
        current.state = _IDLE
        view.release(replica)
        if view.detector:
            view.record(replica, _FAILED_FOR_OUTLIER[outcome])
        if view.ewma is not None:
            view.observe_rtt(replica, start)
        if measured:
            rec.attempt_ended(server, outcome, env.now - start)
            if split:
                rec.replica_group(server, self.replicas[server][replica].meshed, outcome)
        return outcome

    def _attempt(
        self, link: Link, cmeshed: bool, replica_index: int, depth: int, req: Request, src: int
    ) -> Steps:
        """Proxies and network there, the server replica, network back.

        The way back is one network delay that nothing can interrupt, so it is waited
        together with the way there (one event instead of two): the client sees the
        same latency; the server sees the request one network delay later. A refused
        connection comes back after the way there only. (:meth:`call` runs the same
        steps inline when no per-try timeout races them.)
        """
        env, plan, rec = self.env, self.plan, req.rec
        client, server = link.client, link.server
        replica = self.replicas[server][replica_index]
        smeshed = replica.meshed
        net = link.net
        delay = 0.0 if net is None else net()
        if cmeshed:
            delay += link.out_proxy()
        if smeshed:
            delay += link.in_proxy()
        if self.ambient and cmeshed and plan.waypoint[server]:
            delay += link.waypoint()
        crossing = cmeshed and self.model.multi_network and self._crosses(src, replica)
        if crossing:  # through the east-west gateways, there (and back below)
            delay += link.cross(replica.cluster)()
        refused = plan.strict[server] and not cmeshed and smeshed
        expired = cmeshed and smeshed and self._cert_failed(client, server)
        if refused or replica.down or expired:
            if delay > 0:
                yield timeout(env, delay)
            if refused and rec is not None:
                rec.breakage(client, server)
            return CONNECT_FAILURE
        if rec is not None and cmeshed and smeshed and self.split[server]:
            rec.mtls_attempt(client, server)
        if net is not None:
            delay += net()
        if crossing:
            delay += link.cross(replica.cluster)()
        if delay > 0:
            yield timeout(env, delay)
            if replica.down:  # the outage began while the request was on its way
                return CONNECT_FAILURE
        if rec is not None:
            rec.reached(client, server, cmeshed, smeshed)
        if smeshed and plan.authz is not None and self._denied(client, server, cmeshed):
            if rec is not None:  # the server's proxy answered 403 for the replica
                rec.denial(client, server)
            return DENIED
        if replica.crash is None:
            if (depth + 1) % STACK_LEVELS:
                outcome = yield from self._serve(link, replica, depth + 1, req)
            else:  # a fresh stack (see STACK_LEVELS)
                outcome = yield env.process(self._serve(link, replica, depth + 1, req))
            return outcome
        proc = env.process(self._serve(link, replica, depth + 1, req))
        done = yield proc | replica.crash
        return done[proc] if proc in done else RESET

    def _crosses(self, src: int, replica: Replica) -> bool:
        network = self.model.cluster_network
        return network[src] != network[replica.cluster]

    def _cert_failed(self, client: int, server: int) -> bool:
        """An expired certificate at either end fails the mTLS handshake (SPEC §20)."""
        expired = self.cert_expired
        return expired[server] > 0 or (client < len(expired) and expired[client] > 0)

    def _denied(self, client: int, server: int, cmeshed: bool) -> bool:
        """The server's AuthorizationPolicy refuses the caller (plaintext: no identity)."""
        assert self.plan.authz is not None
        allowed = self.plan.authz[server]
        return allowed is not None and (not cmeshed or client not in allowed)

    # --- at the server replica (SPEC §10.3) -------------------------------------------

    def _serve(self, link: Link, replica: Replica, depth: int, req: Request) -> Steps:
        """The server's work for a request of ``link.client``, drawn from that link."""
        env = self.env
        server = link.server
        service = self.model.services[server]
        if depth > self.max_depth:
            return ERROR
        res, epoch = replica.res, replica.epoch
        if (
            service.queue_limit is not None
            and res.count >= res.capacity
            and len(res.queue) >= service.queue_limit
        ):
            return UNAVAILABLE
        arrived = env.now
        wait = res.acquire()
        if wait is not None:
            yield wait
        held = env.now
        work = link.service_time()
        for fault in replica.latency_faults:
            if link.fault_hits.random() < fault.probability:
                work += link.fault_delay(fault)()
        if work > 0:
            yield timeout(env, work)
        error_rate = service.error_rate + replica.extra_error
        failed = error_rate > 0 and link.errors.random() < error_rate
        script = service.script
        # async (or nothing left to do): the worker is free once the own work is done
        early = failed or not service.threads or not script
        if early:
            res.release()
            self.rec.busy(server, held, busy_until(replica, epoch, env.now), arrived)
            if failed or not script:
                return ERROR if failed else OK
        # the script (see _script and _item), inline: one frame per call level
        outcome = OK
        meshed = replica.meshed  # the calling replica's own sidecar (a canary may lack one)
        calling = replica.epoch  # the pod's life in which the calls start
        targets = self.targets[server]
        if targets is None:
            targets = self.targets[server] = self._targets(server, script)
        for (parallel, calls), target in zip(script, targets, strict=True):
            if replica.epoch != calling:
                outcome = RESET  # the pod crashed under this request: no more calls
                break
            if parallel:
                result = yield from self._parallel(server, meshed, calls, depth, req, replica)
            else:
                spec = calls[0]
                probability = spec.probability
                result = OK
                if probability >= 1.0 or target.calls.random() < probability:
                    for _ in range(spec.times):
                        result = yield from self.call(
                            target, meshed, spec, depth, req, replica.views, replica.cluster
                        )
                        if result != OK:
                            if spec.optional:
                                result = OK
                            break
            if result != OK:
                outcome = ERROR  # a required call failed: this request answers 500 (§10.3)
                break
        if not early:
            res.release()
            self.rec.busy(server, held, busy_until(replica, epoch, env.now), arrived)
        return outcome

    def _targets(self, server: int, script: Script) -> tuple[Link, ...]:
        """The link of each step of ``server``'s script (a parallel group: its first call's).

        Looked up once per service instead of once per visit and step (making a link
        draws nothing: its streams start at their first draw).
        """
        return tuple(self.link(server, calls[0].target) for _, calls in script)

    def _item(
        self,
        server: int,
        meshed: bool,
        spec: CallSpec,
        depth: int,
        req: Request,
        drawn: bool,
        replica: Replica,
    ) -> Steps:
        """``count`` calls of one script entry (``drawn``: its probability was decided)."""
        link = self.link(server, spec.target)
        probability = spec.probability
        if not drawn and probability < 1.0 and link.calls.random() >= probability:
            return OK
        for _ in range(spec.times):
            outcome = yield from self.call(
                link, meshed, spec, depth, req, replica.views, replica.cluster
            )
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
        replica: Replica,
    ) -> Steps:
        env, link = self.env, self.link
        procs = [
            env.process(self._item(server, meshed, spec, depth, req, True, replica))
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
    on_series: Callable[[Any], None] | None = None,
) -> Recorder:
    """Simulate one phase of one replication and return what was recorded."""
    with _collect_own_objects_only():
        return Simulation(model, plan, replication).run(on_progress, should_stop, on_series)


@contextmanager
def _collect_own_objects_only() -> Iterator[None]:
    """Keep the garbage collector to the objects the run makes (``gc.freeze``).

    A run on a large graph makes its links' streams, views and replicas as it goes, so
    collections run during it; a full one also walked every object that existed before
    (modules, the scenario, the compiled model): 25-30 ms each on a 1,000-service graph,
    about a tenth of a 10-second run. Frozen, they are skipped until the run ends. Left
    alone when the caller froze objects itself (unfreezing would thaw those too).
    """
    if not gc.isenabled() or gc.get_freeze_count() > 0:
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
