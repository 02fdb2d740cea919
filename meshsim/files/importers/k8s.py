"""Kubernetes and Istio manifests (``k8s``), SPEC §13.

Workloads (Deployments, StatefulSets, DaemonSets) are the services, named as the
workload. A call goes from a workload to the workloads behind every Service its
container environment names (:mod:`meshsim.files.importers.k8s_env`). LoadBalancer and
NodePort Services, Ingress, Gateway API routes and Istio gateway VirtualServices
give the entrypoints. Workloads with a sidecar injected (namespace label or pod
annotation) form a first phase ``existing``; Istio objects give mesh policies,
that phase's mTLS rules and faults (:mod:`meshsim.files.importers.k8s_istio`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from meshsim.errors import GraphImportError
from meshsim.files.importers.common import Graph
from meshsim.files.importers.k8s_cluster import Cluster, Obj
from meshsim.files.importers.k8s_env import env_values, hosts_in
from meshsim.files.importers.k8s_istio import IstioSettings, destinations, read_istio, route_shares
from meshsim.files.importers.realistic import load_programs

__all__ = ["load"]

Workload = tuple[str, str]

UNREACHED_WHY = (
    "the manifests name no call that leads to them from an entrypoint (calls are read "
    "from container env values that name a Service, see docs/importers.md): add their "
    "calls by hand, or import traces or a service graph of the same system instead of "
    "the manifests"
)
"""Why a service of manifests gets no traffic, said in that warning."""
_GRPC = {"grpc", "grpc-web"}
_HTTP = {"http", "http2", "https", "h2c"}


def load(paths: Sequence[Path], graph: Graph) -> None:
    """Add the workloads, calls, entrypoints and Istio settings of the manifests in ``paths``.

    Raises
    ------
    GraphImportError
        When a file cannot be read or holds no workload.
    """
    cluster = Cluster(graph)
    cluster.read(paths)
    graph.unreached_why = UNREACHED_WHY
    if not cluster.workloads:
        raise GraphImportError(
            "no Deployment, StatefulSet or DaemonSet in the input", file=str(paths[0])
        )
    protocols = _protocols(cluster)
    for key, workload in cluster.workloads.items():
        _service(graph, key, workload, protocols.get(key))
        graph.services[key].hints = _hints(cluster, workload)
    for key, workload in cluster.workloads.items():
        _calls(graph, cluster, key, workload)
    _entrypoints(graph, cluster)
    _extras(graph, cluster, read_istio(cluster))


def _service(graph: Graph, key: Workload, workload: Obj, protocol: str | None) -> None:
    node = graph.service(key, workload.name)
    node.namespace = workload.namespace
    node.protocol = protocol
    if workload.kind == "DaemonSet":
        graph.warn(
            f"DaemonSet {workload.name} runs one pod per node; imported with 1 replica",
            where=workload.source.where(),
        )
        return
    replicas = workload.spec.get("replicas", 1)
    count = int(workload.source.number(replicas, f"{workload.kind} {workload.name}: replicas"))
    if count < 1:
        graph.warn(
            f"{workload.kind} {workload.name} has {count} replicas; imported with 1",
            where=workload.source.where(),
        )
    node.replicas = max(1, count)


def _hints(cluster: Cluster, workload: Obj) -> list[str]:
    """Container images, load tools run by the command line, pod label values.

    They tell a load tool or a gateway (:func:`meshsim.files.importers.realistic.is_load_tool`).
    """
    template = workload.field(workload.spec.get("template"), "spec.template")
    pod = workload.field(template.get("spec"), "spec.template.spec")
    containers = [
        c for c in workload.items(pod.get("containers"), "containers") if isinstance(c, dict)
    ]
    images = [str(c.get("image", "")) for c in containers]
    programs = [
        program
        for c in containers
        for program in load_programs([*_strings(c.get("command")), *_strings(c.get("args"))])
    ]
    return [*images, *programs, *map(str, cluster.labels(workload).values())]


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value if v is not None] if isinstance(value, list) else []


def _protocols(cluster: Cluster) -> dict[Workload, str]:
    """Protocol of each workload, from the first port of a Service that selects it."""
    out: dict[Workload, str] = {}
    for key, service in cluster.services.items():
        ports = service.items(service.spec.get("ports"), "ports")
        if not ports:
            continue
        port = service.field(ports[0], "a port")
        name = str(port.get("appProtocol") or port.get("name") or "").lower()
        prefix = name.split("-", 1)[0]
        protocol = (
            "grpc" if prefix in _GRPC else "http" if prefix in _HTTP else "tcp" if name else None
        )
        if protocol is not None:
            for workload in cluster.selected(key):
                out.setdefault(workload, protocol)
    return out


def _calls(graph: Graph, cluster: Cluster, key: Workload, workload: Obj) -> None:
    targets: dict[Workload, float] = {}
    for _variable, value in env_values(workload, cluster):
        for host in hosts_in(value):
            service = cluster.service_key(host, workload.namespace)
            if service is None:
                continue
            if not cluster.selected(service):
                graph.warn(
                    f"Service {service[1]} selects no workload in the input",
                    where=cluster.services[service].source.where(),
                    group="empty Service",
                )
            chosen = [k for k in cluster.selected(service) if k != key]
            shares = route_shares(cluster, service, chosen)
            if len(shares) > 1:
                split = ", ".join(f"{k[1]} {p:.0%}" for k, p in shares.items())
                graph.warn(
                    f"Service {service[1]} routes to {len(shares)} workloads; each call of "
                    f"{workload.name} goes to one of them ({split})",
                    where=workload.source.where(),
                    group="split",
                )
            for target, share in shares.items():
                targets.setdefault(target, share)
    for target, probability in targets.items():
        graph.edge(key, target, probability=probability if probability < 1 else None)


def _entrypoints(graph: Graph, cluster: Cluster) -> None:
    for key, service in cluster.services.items():
        if service.spec.get("type") in ("LoadBalancer", "NodePort"):
            _enter(graph, cluster.selected(key), None)
    for route in cluster.routes:
        if route.kind == "Ingress":
            for name in _ingress_backends(route):
                _enter(graph, cluster.workloads_for(name, route.namespace), None)
        elif route.kind in ("HTTPRoute", "GRPCRoute"):
            for name, namespace in _route_backends(route):
                _enter(graph, cluster.workloads_for(name, namespace), "gateway")
    for service in cluster.istio("VirtualService"):
        gateways = [str(g) for g in service.items(service.spec.get("gateways"), "gateways")]
        if any(g != "mesh" for g in gateways):
            for kind in ("http", "tcp", "tls"):
                for route in service.items(service.spec.get(kind), kind):
                    route = service.field(route, "a route")
                    _enter(graph, destinations(cluster, service, route), "gateway")


def _route_backends(route: Obj) -> list[tuple[str, str]]:
    """(Service name, namespace) of a Gateway API route's ``backendRefs``."""
    out = []
    for rule in route.items(route.spec.get("rules"), "rules"):
        refs = route.field(rule, "a rule").get("backendRefs")
        for ref in route.items(refs, "backendRefs"):
            ref = route.field(ref, "a backendRef")
            if ref.get("kind", "Service") == "Service":
                out.append((str(ref.get("name", "")), str(ref.get("namespace") or route.namespace)))
    return out


def _enter(graph: Graph, workloads: list[Workload], client: str | None) -> None:
    for workload in workloads:
        graph.service(workload).external = True
        graph.entrypoint(workload, client=client)


def _ingress_backends(ingress: Obj) -> list[str]:
    backends = [ingress.spec.get("defaultBackend"), ingress.spec.get("backend")]
    for rule in ingress.items(ingress.spec.get("rules"), "rules"):
        http = ingress.field(ingress.field(rule, "a rule").get("http"), "http")
        for path in ingress.items(http.get("paths"), "paths"):
            backends.append(ingress.field(path, "a path").get("backend"))
    names = []
    for backend in backends:
        backend = ingress.field(backend, "backend")
        service = ingress.field(backend.get("service"), "backend.service")
        name = service.get("name") or backend.get("serviceName")
        if name:
            names.append(str(name))
    return names


def _injected(cluster: Cluster, workload: Obj) -> bool:
    flag = cluster.labels(workload).get("sidecar.istio.io/inject")
    flag = cluster.labels(workload, "annotations").get("sidecar.istio.io/inject", flag)
    if flag is not None:
        return flag.strip().lower() == "true"
    namespace = cluster.namespaces.get(workload.namespace)
    if namespace is None:
        return False
    meta = namespace.field(namespace.body.get("metadata"), "metadata")
    labels = {str(k): str(v) for k, v in namespace.field(meta.get("labels"), "labels").items()}
    injection = labels.get("istio-injection")
    return injection == "enabled" or ("istio.io/rev" in labels and injection != "disabled")


def _extras(graph: Graph, cluster: Cluster, settings: IstioSettings) -> None:
    policies = [
        {"host": graph.name_of(key), **settings.policies[key]}
        for key in graph.services
        if settings.policies.get(key)
    ]
    if policies:
        graph.extras["mesh"] = {"policies": policies}
    meshed = [graph.name_of(k) for k, w in cluster.workloads.items() if _injected(cluster, w)]
    if meshed or settings.mtls:
        phase: dict[str, Any] = {"name": "existing", "services": meshed}
        mtls = [dict(t) for t in dict.fromkeys(tuple(rule.items()) for rule in settings.mtls)]
        if mtls:
            phase["mtls"] = mtls
        graph.extras["rollout"] = {"phases": [phase]}
    if settings.faults:
        graph.extras["faults"] = [{"service": graph.name_of(w), **f} for w, f in settings.faults]
