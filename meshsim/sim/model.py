"""The compiled model: a scenario as plain objects, and the random streams of a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from meshsim.sim.compile import PhasePlan, Script, script_of
from meshsim.sim.load import LoadCurve, arrival_gaps, load_curve
from meshsim.sim.profiles import ProfileNumbers, profile_numbers
from meshsim.sim.sampling import Sampler, Streams, Uniforms, is_zero
from models import Scenario
from models.distributions import Distribution

__all__ = ["EntryRT", "FaultRT", "Link", "Model", "Request", "Runtime", "ServiceRT"]


class Request:
    """One entry request: when it arrived, whether it is measured, what it touched."""

    __slots__ = ("entry", "start", "measured", "touched", "rec")

    def __init__(self, entry: int, start: float, measured: bool) -> None:
        self.entry = entry
        self.start = start
        self.measured = measured
        self.touched = 0  # bit i set: the request's call tree addressed service i
        self.rec: Any = None  # what it records into (the engine sets it; None: nothing)


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
    script: Script


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
    load: LoadCurve | None = None  # the rate over time (SPEC §14); None: always rate_rps


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
        self.entrypoints: list[EntryRT] = []
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
                    None if e.load is None else load_curve(e.rate, e.load),
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
        self.series_s = sim.series  # bucket width of the time series, None = off
        self.network = sim.network_latency
        self.profile: ProfileNumbers = profile_numbers(scenario.mesh)
        self.nodes = scenario.mesh.nodes
        # SPEC §20 clusters: each replica's cluster index, each cluster's network index
        clusters = [c.name for c in scenario.clusters]
        networks = list(dict.fromkeys(c.network for c in scenario.clusters))
        self.cluster_network = [networks.index(c.network) for c in scenario.clusters] or [0]
        self.cross_latency = [c.cross_latency for c in scenario.clusters]
        self.replica_cluster = [
            tuple(clusters.index(c) if c is not None else 0 for c in s.replica_clusters())
            for s in scenario.services
        ]
        self.multi_network = len(networks) > 1
        self.locality_lb = scenario.mesh.locality_lb and len(clusters) > 1
        # per service, per network: the replicas a plaintext client there can reach
        self.reach: list[list[list[int]]] = [
            [
                [i for i, c in enumerate(rc) if self.cluster_network[c] == net]
                for net in range(len(networks) or 1)
            ]
            for rc in self.replica_cluster
        ]

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


class Link:
    """The random streams of one client toward one destination, for one run.

    Every draw made for an attempt from ``client`` to ``server`` comes from a stream
    named by (client, destination, purpose): network, the client's proxy (or the
    gateway), the server's proxy and waypoint, the replica choice, the back-off jitter,
    the client's call-probability draws for calls to ``server``, and the server's work,
    error and fault draws for this client's requests. So a change that adds or removes
    draws toward one destination (a retry policy, an outcome that stops a script) never
    shifts the numbers drawn toward another.

    Each stream and sampler is made at its first use (an unset slot falls through to
    :meth:`__getattr__` once): a graph of thousands of services makes only what its
    traffic draws from, and the hot loop reads plain slots. The numbers are the same
    either way: a stream depends on its name only.
    """

    __slots__ = (
        "client",
        "server",
        "key",
        "net",
        "out_proxy",
        "in_proxy",
        "waypoint",
        "route",
        "backoff",
        "calls",
        "service_time",
        "errors",
        "fault_hits",
        "_faults",
        "_streams",
        "_name",
        "_cross",
        "_model",
    )

    net: Sampler | None
    """Network latency each way (None: zero)."""
    out_proxy: Sampler
    """The client's own proxy: its sidecar (or ztunnel), or the ingress gateway's Envoy."""
    in_proxy: Sampler
    waypoint: Sampler
    route: Uniforms
    """Replica choices."""
    backoff: Uniforms
    """Retry back-off jitter."""
    calls: Uniforms
    """The client's call-probability draws for calls to ``server``."""
    service_time: Sampler
    errors: Uniforms
    """The server's error draws for this client's requests."""
    fault_hits: Uniforms
    """Which of this client's requests a latency fault delays."""

    def __init__(self, model: Model, streams: Streams, client: int, server: int) -> None:
        self.client = client
        self.server = server
        self.key = client * len(model.services) + server
        self._streams = streams
        self._name = f"{model.client_name(client)}>{model.names[server]}"
        self._faults: dict[int, Sampler] = {}
        self._cross: dict[int, Sampler] = {}
        self._model = model

    def __getattr__(self, attr: str) -> Any:
        """Make a stream or sampler at its first use; later reads find the slot set."""
        make = _MAKE.get(attr)
        if make is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")
        value = make(self)
        setattr(self, attr, value)
        return value

    def _sampler(self, dist: Distribution, purpose: str) -> Sampler:
        return self._streams.sampler(dist, purpose, self._name)

    def cross(self, cluster: int) -> Sampler:
        """East-west crossing latency into ``cluster``, for this link (SPEC §20)."""
        sampler = self._cross.get(cluster)
        if sampler is None:
            dist = self._model.cross_latency[cluster]
            sampler = self._streams.sampler(dist, "cross", f"{self._name}/{cluster}")
            self._cross[cluster] = sampler
        return sampler

    def fault_delay(self, fault: FaultRT) -> Sampler:
        """The added-latency sampler of a latency fault, for this client's requests."""
        sampler = self._faults.get(fault.index)
        if sampler is None:
            assert fault.delay is not None
            name = f"{self._name}/{fault.index}"
            sampler = self._faults[fault.index] = self._streams.sampler(
                fault.delay, "fault-delay", name
            )
        return sampler


def _network(link: Link) -> Sampler | None:
    network = link._model.network
    return None if is_zero(network) else link._sampler(network, "network")


def _out_proxy(link: Link) -> Sampler:
    model = link._model
    profile = model.profile
    outbound = (
        profile.proxy.latency if link.client < len(model.services) else profile.waypoint.latency
    )
    return link._sampler(outbound, "proxy-out")


_MAKE: dict[str, Callable[[Link], Any]] = {
    "net": _network,
    "out_proxy": _out_proxy,
    "in_proxy": lambda link: link._sampler(link._model.profile.proxy.latency, "proxy-in"),
    "waypoint": lambda link: link._sampler(link._model.profile.waypoint.latency, "waypoint"),
    "service_time": lambda link: link._sampler(
        link._model.services[link.server].service_time, "service-time"
    ),
    "route": lambda link: link._streams.uniforms("routing", link._name),
    "backoff": lambda link: link._streams.uniforms("backoff", link._name),
    "calls": lambda link: link._streams.uniforms("calls", link._name),
    "errors": lambda link: link._streams.uniforms("errors", link._name),
    "fault_hits": lambda link: link._streams.uniforms("fault", link._name),
}
"""How each lazily made slot of a :class:`Link` is made."""


class Runtime:
    """The random streams of one replication: arrivals per entrypoint, the rest per link."""

    def __init__(self, model: Model, replication: int, plan: PhasePlan) -> None:
        self.streams = Streams(model.seed, replication)
        self.model = model
        self.plan = plan
        self.arrival_gap = [self._gap(e, self.streams) for e in model.entrypoints]
        self._n = len(model.services)
        self._links: dict[int, Link] = {}

    @staticmethod
    def _gap(entry: EntryRT, streams: Streams) -> Sampler:
        rng = streams.get("arrivals", entry.name)
        if entry.load is not None:
            return arrival_gaps(entry.load, rng, entry.poisson)
        rate = entry.rate_rps
        if entry.poisson:
            expo = rng.expovariate
            return lambda: expo(rate)
        gap = 1.0 / rate
        return lambda: gap

    def link(self, client: int, server: int) -> Link:
        """The streams of ``client`` (a service or an entry client) toward ``server``."""
        link = self._links.get(client * self._n + server)
        if link is None:
            link = Link(self.model, self.streams, client, server)
            self._links[link.key] = link
        return link
