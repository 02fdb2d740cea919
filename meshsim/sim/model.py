"""The compiled model: a scenario as plain objects, and the random streams of a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from meshsim.sim.compile import PhasePlan, script_of
from meshsim.sim.profiles import ProfileNumbers, profile_numbers
from meshsim.sim.sampling import Sampler, Streams, is_zero, make_sampler
from models import Scenario
from models.distributions import Distribution

__all__ = ["EntryRT", "FaultRT", "Model", "Request", "Runtime", "ServiceRT"]


class Request:
    """One entry request: when it arrived, whether it is measured, what it touched."""

    __slots__ = ("entry", "start", "measured", "touched")

    def __init__(self, entry: int, start: float, measured: bool) -> None:
        self.entry = entry
        self.start = start
        self.measured = measured
        self.touched = 0  # bit i set: the request's call tree addressed service i


@dataclass(frozen=True, slots=True)
class ServiceRT:
    """A service as the engine reads it."""

    index: int
    name: str
    replicas: int
    concurrency: int
    threads: bool
    queue_limit: int | None
    error_rate: float
    service_time: Distribution
    script: list


@dataclass(frozen=True, slots=True)
class EntryRT:
    """An entrypoint as the engine reads it."""

    index: int
    name: str
    service: int
    rate_rps: float
    poisson: bool
    gateway: bool
    latency_slo_s: float | None
    error_slo: float | None


@dataclass(frozen=True, slots=True)
class FaultRT:
    """A fault as the engine reads it (times in seconds)."""

    index: int
    service: int
    kind: str
    start: float
    duration: float | None
    replicas: int
    error_rate: float
    delay: Distribution | None
    probability: float


class Model:
    """A validated scenario compiled once for every phase and replication.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    """

    def __init__(self, scenario: Scenario) -> None:
        sim = scenario.simulation
        index = {s.name: i for i, s in enumerate(scenario.services)}
        scripts = script_of(scenario, index)
        self.names = [s.name for s in scenario.services]
        self.services = [
            ServiceRT(
                i,
                s.name,
                s.replicas,
                s.concurrency,
                s.concurrency_model == "threads",
                s.queue_limit,
                s.error_rate,
                s.service_time,
                scripts[i],
            )
            for i, s in enumerate(scenario.services)
        ]
        self.entrypoints = []
        for i, e in enumerate(scenario.entrypoints):
            slo = scenario.slo_of(e)
            self.entrypoints.append(
                EntryRT(
                    i,
                    e.name,
                    index[e.service],
                    e.rate,
                    e.arrival == "poisson",
                    e.client == "gateway",
                    slo.latency_p99 if slo else None,
                    slo.error_rate if slo else None,
                )
            )
        self.faults = [
            FaultRT(
                i,
                index[f.service],
                f.type,
                f.start,
                f.duration,
                f.replicas or scenario.service(f.service).replicas,
                f.error_rate or 0.0,
                f.delay,
                f.probability,
            )
            for i, f in enumerate(scenario.faults)
        ]
        self.seed = sim.seed
        self.duration = sim.duration
        self.warmup = sim.warmup
        self.drain = max(60.0, sim.duration)
        self.max_depth = sim.max_depth
        self.network = sim.network_latency
        self.profile: ProfileNumbers = profile_numbers(scenario.mesh)
        self.nodes = scenario.mesh.nodes

    def entry_client_id(self, entry: int) -> int:
        """Client id of an entrypoint's client (services are 0..N-1)."""
        return len(self.services) + entry

    def client_name(self, client: int) -> str:
        """Name of a client id: a service, or ``@entry``."""
        n = len(self.services)
        return self.names[client] if client < n else "@" + self.entrypoints[client - n].name

    def runtime(self, replication: int, plan: PhasePlan) -> Runtime:
        """The random streams and samplers of one replication of one phase."""
        return Runtime(self, replication, plan)


class Runtime:
    """Samplers built from streams named by purpose (common random numbers)."""

    def __init__(self, model: Model, replication: int, plan: PhasePlan) -> None:
        streams = Streams(model.seed, replication)
        self.streams = streams
        self.model = model
        self.plan = plan
        self.arrival_gap = [self._gap(e, streams) for e in model.entrypoints]
        names = model.names
        self.service_time = [
            make_sampler(s.service_time, streams.get("service-time", s.name))
            for s in model.services
        ]
        self.error_rng = [streams.get("errors", n) for n in names]
        self.call_rng = [streams.get("calls", n) for n in names]
        self.fault_rng = [streams.get("fault", n) for n in names]
        self._route: dict[int, object] = {}
        profile = model.profile
        self._zero_net = is_zero(model.network)
        clients = [*names, *("@" + e.name for e in model.entrypoints)]
        self._net = [make_sampler(model.network, streams.get("network", c)) for c in clients]
        proxy = profile.proxy.latency
        self._proxy = [make_sampler(proxy, streams.get("proxy", n)) for n in names]
        envoy = profile.waypoint.latency
        self._waypoint = [make_sampler(envoy, streams.get("waypoint", n)) for n in names]
        self._gateway = [
            make_sampler(envoy, streams.get("gateway", e.name)) for e in model.entrypoints
        ]
        self._ambient = profile.ambient

    @staticmethod
    def _gap(entry: EntryRT, streams: Streams) -> Sampler:
        rng = streams.get("arrivals", entry.name)
        rate = entry.rate_rps
        if entry.poisson:
            expo = rng.expovariate
            return lambda: expo(rate)
        gap = 1.0 / rate
        return lambda: gap

    def route_rng(self, client: int):
        """Replica-choice stream of a client (service or entry client)."""
        rng = self._route.get(client)
        if rng is None:
            rng = self.streams.get("routing", self.model.client_name(client))
            self._route[client] = rng
        return rng

    def request_delay(
        self, client: int, cmeshed: bool, server: int, smeshed: bool, plan: PhasePlan
    ) -> float:
        """Client proxy + network + server proxy (+ waypoint), folded into one delay."""
        delay = 0.0 if self._zero_net else self._net[client]()
        if cmeshed:
            n = len(self._proxy)
            delay += self._proxy[client]() if client < n else self._gateway[client - n]()
        if smeshed:
            delay += self._proxy[server]()
        if self._ambient and cmeshed and plan.waypoint[server]:
            delay += self._waypoint[server]()
        return delay

    def net_delay(self, client: int) -> float:
        """Network latency of the way back."""
        return 0.0 if self._zero_net else self._net[client]()

    def fault_delay(self, fault: FaultRT) -> Callable[[], float]:
        """The added-latency sampler of a latency fault."""
        assert fault.delay is not None
        return make_sampler(fault.delay, self.streams.get("fault-delay", str(fault.index)))
