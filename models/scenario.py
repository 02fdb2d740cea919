"""The scenario document (SPEC §2) and its cross-field rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, model_validator

from models.base import Document
from models.beyond import GATEWAY_IDENTITY, Cluster, Cost
from models.checks import Checks
from models.lessons import Lesson
from models.mesh import Mesh
from models.rollout import Fault, Ordering, Phase, Rollout, Simulation
from models.services import Entrypoint, ParallelGroup, Service, Slo

__all__ = ["CrossFieldError", "Metadata", "Scenario", "phase_services"]

Loc = tuple[str | int, ...]


class CrossFieldError(ValueError):
    """Several problems found by the cross-field rules, each with its own location.

    Pydantic keeps the exception object in the error's ``ctx``, so loaders can
    report each problem at its own field instead of at the document root.
    """

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{_dotted(loc)}: {msg}" for loc, msg in problems))


def _dotted(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class Metadata(Document):
    """Name and description of the scenario."""

    name: str = Field("scenario", description="Scenario name, shown in results and reports.")
    description: str = Field("", description="What the scenario models.")


def phase_services(phase: Phase, services: list[Service]) -> list[str]:
    """Services a phase meshes: its ``services`` plus every service of its ``namespaces``."""
    names = list(phase.services)
    for service in services:
        if service.namespace in phase.namespaces and service.name not in names:
            names.append(service.name)
    return names


class Scenario(Document):
    """A meshsim scenario: the service graph, traffic, mesh and rollout plan.

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a"}],
    ...     "entrypoints": [{"name": "web", "service": "a", "rate": "10/s"}]})
    >>> s.services[0].concurrency
    16
    """

    api_version: Literal["meshsim/v1"] = Field("meshsim/v1", description="Format version.")
    kind: Literal["Scenario"] = Field("Scenario", description="Document kind.")
    metadata: Metadata = Field(default_factory=Metadata, description="Name and description.")
    services: list[Service] = Field(min_length=1, description="The services of the graph.")
    entrypoints: list[Entrypoint] = Field(min_length=1, description="Where traffic enters.")
    mesh: Mesh = Field(default_factory=Mesh, description="Mesh profile and policies.")
    rollout: Rollout = Field(default_factory=Rollout, description="The rollout plan as written.")
    orderings: list[Ordering] = Field(default_factory=list, description="Plans to compare.")
    faults: list[Fault] = Field(default_factory=list, description="Injected faults.")
    slo: Slo | None = Field(None, description="Default SLO of every entrypoint.")
    simulation: Simulation = Field(default_factory=Simulation, description="Run settings.")
    checks: Checks | None = Field(
        None, description="Limits `meshsim check` asserts in CI pipelines (SPEC §16)."
    )
    lessons: list[Lesson] = Field(
        default_factory=list, description="Steps a trainer walks through (docs/lessons.md)."
    )
    clusters: list[Cluster] = Field(
        default_factory=list,
        description="Clusters of a multi-cluster mesh (SPEC §20); one cluster when absent.",
    )
    cost: Cost | None = Field(
        None, description="Prices for the proxies' cost per month in results (SPEC §20)."
    )

    @model_validator(mode="after")
    def _cross_field_rules(self) -> Scenario:
        problems = list(_check(self))
        if problems:
            raise CrossFieldError(problems)
        return self

    def slo_of(self, entry: Entrypoint) -> Slo | None:
        """The SLO of an entrypoint: its own fields over the document's ``slo`` defaults.

        Examples
        --------
        >>> s = Scenario.model_validate({
        ...     "services": [{"name": "a"}], "slo": {"errorRate": 0.01},
        ...     "entrypoints": [{"name": "w", "service": "a", "rate": 5,
        ...                      "slo": {"latencyP99": "300ms"}}]})
        >>> slo = s.slo_of(s.entrypoints[0])
        >>> slo.latency_p99, slo.error_rate
        (0.3, 0.01)
        """
        if entry.slo is None or self.slo is None:
            return entry.slo or self.slo
        own = {name: getattr(entry.slo, name) for name in entry.slo.model_fields_set}
        return self.slo.model_copy(update=own)

    def service(self, name: str) -> Service:
        """The service called ``name`` (KeyError if there is none).

        A name → service index is built on first use and kept with the document (lint
        asks tens of thousands of times on a 1,000-service graph). It remembers the
        ``services`` list it was built from and is rebuilt when that list is not this
        document's: ``model_copy(update={"services": ...})`` copies the cache along
        with the other attributes, so it must never be trusted blindly.
        """
        cached = self.__dict__.get(_INDEX)
        if cached is None or cached[0] is not self.services:
            index: dict[str, Service] = {}
            for service in self.services:
                index.setdefault(service.name, service)  # the first of a duplicate name
            cached = (self.services, index)
            # Frozen model: write past __setattr__. Not a private attribute, since
            # those take part in ``==``; pydantic ignores non-field keys of __dict__
            # when comparing, dumping and hashing.
            self.__dict__[_INDEX] = cached
        return cached[1][name]


_INDEX = "_service_index"


def _duplicates(names: list[str], loc: Loc, what: str) -> Iterator[tuple[Loc, str]]:
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            yield (*loc, i, "name"), f"duplicate {what} name {name!r}"
        seen.add(name)


def _check(doc: Scenario) -> Iterator[tuple[Loc, str]]:
    names = {s.name for s in doc.services}
    namespaces = {s.namespace for s in doc.services}
    yield from _duplicates([s.name for s in doc.services], ("services",), "service")
    yield from _duplicates([e.name for e in doc.entrypoints], ("entrypoints",), "entrypoint")
    yield from _duplicates([o.name for o in doc.orderings], ("orderings",), "ordering")
    for i, service in enumerate(doc.services):
        for j, item in enumerate(service.calls):
            calls = item.parallel if isinstance(item, ParallelGroup) else [item]
            for k, call in enumerate(calls):
                loc = ("services", i, "calls", j) + (
                    ("parallel", k) if isinstance(item, ParallelGroup) else ()
                )
                if call.to not in names:
                    yield (*loc, "to"), f"unknown service {call.to!r}"
    for i, entry in enumerate(doc.entrypoints):
        if entry.service not in names:
            yield ("entrypoints", i, "service"), f"unknown service {entry.service!r}"
    for i, policy in enumerate(doc.mesh.policies):
        if policy.host not in names:
            yield ("mesh", "policies", i, "host"), f"unknown service {policy.host!r}"
    phase_names = {p.name for p in doc.rollout.phases}
    for i, lesson in enumerate(doc.lessons):
        for j, name in enumerate(lesson.highlight):
            if name not in names:
                yield ("lessons", i, "highlight", j), f"unknown service {name!r}"
        if isinstance(lesson.phase, str) and lesson.phase not in phase_names | {"baseline"}:
            yield ("lessons", i, "phase"), f"unknown phase {lesson.phase!r}"
        elif isinstance(lesson.phase, int) and not 0 <= lesson.phase <= len(doc.rollout.phases):
            yield ("lessons", i, "phase"), f"no phase {lesson.phase} (0 = baseline)"
    for i, fault in enumerate(doc.faults):
        if fault.service not in names:
            yield ("faults", i, "service"), f"unknown service {fault.service!r}"
        elif fault.replicas is not None and fault.replicas > doc.service(fault.service).replicas:
            yield (
                ("faults", i, "replicas"),
                (
                    f"{fault.replicas} replicas hit but {fault.service!r} has "
                    f"{doc.service(fault.service).replicas}"
                ),
            )
    yield from _check_clusters(doc)
    yield from _check_phases(doc, doc.rollout.phases, ("rollout", "phases"), names, namespaces)
    for key in ("first", "last"):
        for j, name in enumerate(getattr(doc.rollout.constraints, key)):
            if name not in names:
                yield ("rollout", "constraints", key, j), f"unknown service {name!r}"
    for i, ordering in enumerate(doc.orderings):
        if ordering.phases is not None:
            loc = ("orderings", i, "phases")
            yield from _check_phases(doc, ordering.phases, loc, names, namespaces)
    yield from _certain_cycles(doc)


def _check_phases(
    doc: Scenario, phases: list[Phase], loc: Loc, names: set[str], namespaces: set[str]
) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates([p.name for p in phases], loc, "phase")
    first_phase: dict[str, str] = {}
    canaries: dict[str, float] = {}
    ambient = doc.mesh.profile == "istio-ambient"
    for i, phase in enumerate(phases):
        here = (*loc, i)
        if phase.name == "baseline":
            yield (*here, "name"), "'baseline' is reserved for phase 0 (nothing meshed)"
        for j, name in enumerate(phase.services):
            if name not in names:
                yield (*here, "services", j), f"unknown service {name!r}"
        for j, ns in enumerate(phase.namespaces):
            if ns not in namespaces:
                yield (*here, "namespaces", j), f"no service is in namespace {ns!r}"
        for name in phase_services(phase, doc.services):
            if name in first_phase and name in names:
                yield (
                    (*here, "services"),
                    (f"service {name!r} is already meshed in phase {first_phase[name]!r}"),
                )
            first_phase.setdefault(name, phase.name)
        for j, rule in enumerate(phase.mtls):
            if rule.scope == "service" and rule.name not in names:
                yield (*here, "mtls", j, "name"), f"unknown service {rule.name!r}"
            if rule.scope == "namespace" and rule.name not in namespaces:
                yield (*here, "mtls", j, "name"), f"no service is in namespace {rule.name!r}"
        for j, policy in enumerate(phase.policies):
            if policy.host not in names:
                yield (*here, "policies", j, "host"), f"unknown service {policy.host!r}"
        for j, name in enumerate(phase.waypoints):
            if not ambient:
                yield (*here, "waypoints", j), "waypoints need mesh.profile 'istio-ambient'"
            elif name not in names:
                yield (*here, "waypoints", j), f"unknown service {name!r}"
        yield from _check_beyond(doc, phase, here, names, first_phase, canaries)


def _check_clusters(doc: Scenario) -> Iterator[tuple[Loc, str]]:
    yield from _duplicates([c.name for c in doc.clusters], ("clusters",), "cluster")
    known = {c.name for c in doc.clusters}
    for i, service in enumerate(doc.services):
        if service.clusters is None:
            continue
        loc = ("services", i, "clusters")
        if not known:
            yield loc, "services[].clusters needs the top-level 'clusters' list"
            continue
        for name in service.clusters:
            if name not in known:
                yield (*loc, name), f"unknown cluster {name!r}"
        total = sum(service.clusters.values())
        if total != service.replicas:
            yield (
                loc,
                (
                    f"clusters give {total} replicas but replicas is {service.replicas}; "
                    "write one of them"
                ),
            )


def _check_beyond(
    doc: Scenario,
    phase: Phase,
    here: Loc,
    names: set[str],
    first_phase: dict[str, str],
    canaries: dict[str, float],
) -> Iterator[tuple[Loc, str]]:
    """Canary, authz and cluster entries of one phase (SPEC §20)."""
    for name, share in phase.canary.items():
        loc = (*here, "canary", name)
        if name not in names:
            yield loc, f"unknown service {name!r}"
        elif name in first_phase:
            yield loc, f"service {name!r} is already meshed in phase {first_phase[name]!r}"
        elif share < canaries.get(name, 0.0):
            yield loc, f"canary share {share:g} is below the earlier {canaries[name]:g}"
        else:
            canaries[name] = share
    callers = names | {GATEWAY_IDENTITY}
    for j, rule in enumerate(phase.authz):
        loc = (*here, "authz", j)
        if rule.service is not None and rule.service not in names:
            yield (*loc, "service"), f"unknown service {rule.service!r}"
        for k, caller in enumerate(rule.allow or []):
            if caller not in callers:
                yield (*loc, "allow", k), f"unknown caller {caller!r} (a service or '@gateway')"
    known = {c.name for c in doc.clusters}
    for j, name in enumerate(phase.clusters):
        if name not in known:
            yield (*here, "clusters", j), f"unknown cluster {name!r}"


def _certain_cycles(doc: Scenario) -> Iterator[tuple[Loc, str]]:
    """Report each cycle made only of certain calls (probability 1): it never ends."""
    index = {s.name: i for i, s in enumerate(doc.services)}
    certain: dict[str, list[str]] = {s.name: [] for s in doc.services}
    for s in doc.services:
        for call in s.iter_calls():
            if call.probability >= 1.0 and call.to in index and call.to not in certain[s.name]:
                certain[s.name].append(call.to)
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    for root in certain:
        if root in state:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(certain[root]))]
        path = [root]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(child) == 1:
                cycle = path[path.index(child) :] + [child]
                yield (
                    ("services", index[node], "calls"),
                    (
                        "cycle of certain calls never ends: "
                        + " -> ".join(cycle)
                        + " (give one call a probability below 1)"
                    ),
                )
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(certain[child])))
                path.append(child)
