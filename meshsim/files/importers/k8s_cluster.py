"""The Kubernetes objects of a set of manifests, indexed the way the k8s importer asks.

Reads multi-document YAML (or JSON) and ``kind: List``; keeps workloads
(Deployments, StatefulSets, DaemonSets), Services, ConfigMaps, Namespaces,
ingress objects (Ingress, Gateway API routes) and Istio objects; skips the rest
(Jobs, CronJobs and unknown kinds with a warning).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meshsim.files.importers.common import Graph
from meshsim.files.importers.sources import Source, parse_json, parse_yaml_documents, read_text
from meshsim.files.importers.values import dns_label

__all__ = ["Cluster", "Obj", "WORKLOAD_KINDS"]

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "DaemonSet")
"""Kinds that become services."""

_ISTIO_KINDS = ("VirtualService", "DestinationRule", "PeerAuthentication", "Gateway")
_ROUTE_KINDS = ("Ingress", "HTTPRoute", "GRPCRoute")
_QUIET_KINDS = {
    "ServiceAccount", "Secret", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
    "PersistentVolume", "PersistentVolumeClaim", "StorageClass", "NetworkPolicy",
    "PodDisruptionBudget", "HorizontalPodAutoscaler", "ResourceQuota", "LimitRange",
    "PriorityClass", "ServiceEntry", "Sidecar", "AuthorizationPolicy", "RequestAuthentication",
    "EnvoyFilter", "Telemetry", "WorkloadEntry", "WorkloadGroup", "GatewayClass",
    "ReferenceGrant", "CustomResourceDefinition", "Endpoints", "EndpointSlice",
}  # fmt: skip
_MAX_NESTING = 20
_MAX_OBJECTS = 500_000


@dataclass(frozen=True)
class Obj:
    """One Kubernetes object and where it was read."""

    kind: str
    api: str
    name: str
    namespace: str
    body: dict[str, Any]
    source: Source

    @property
    def key(self) -> tuple[str, str]:
        """``(namespace, name)``."""
        return (self.namespace, self.name)

    @property
    def spec(self) -> dict[str, Any]:
        """The object's ``spec`` (checked to be a mapping)."""
        return self.source.mapping(self.body.get("spec") or {}, f"{self.kind} {self.name}: spec")

    def field(self, value: Any, what: str) -> dict[str, Any]:
        """A mapping field of this object, ``{}`` when absent."""
        return self.source.mapping(value or {}, f"{self.kind} {self.name}: {what}")

    def items(self, value: Any, what: str) -> list[Any]:
        """A list field of this object, ``[]`` when absent."""
        return self.source.sequence(value or [], f"{self.kind} {self.name}: {what}")


class Cluster:
    """Objects of the manifests by kind, and the Service → workload relation."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.workloads: dict[tuple[str, str], Obj] = {}
        self.services: dict[tuple[str, str], Obj] = {}
        self.configmaps: dict[tuple[str, str], dict[str, str]] = {}
        self.namespaces: dict[str, Obj] = {}
        self.routes: list[Obj] = []
        self._istio: dict[str, dict[tuple[str, str], Obj]] = defaultdict(dict)
        self._seen: set[tuple[str, str, str]] = set()
        self._count = 0
        self._selected: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._labels: dict[tuple[tuple[str, str], str], dict[str, str]] = {}
        self._by_host: dict[str, dict[tuple[str, str], list[Obj]]] = {}
        self._by_label: dict[tuple[str, str, str], set[tuple[str, str]]] | None = None

    def read(self, paths: Sequence[Path]) -> None:
        """Read every object of ``paths``."""
        for path in paths:
            source = Source(str(path))
            text = read_text(path)
            if text.lstrip()[:1] in ("{", "["):
                documents = [(1, parse_json(text, source.file))]
            else:
                documents = parse_yaml_documents(text, source.file)
            for line, document in documents:
                if document is not None:
                    self._collect(document, source.at(line), 0)

    def _collect(self, document: Any, source: Source, depth: int) -> None:
        if isinstance(document, list) and depth == 0:
            for item in document:
                self._collect(item, source, depth + 1)
            return
        self._count += 1
        if self._count > _MAX_OBJECTS:
            source.fail(f"more than {_MAX_OBJECTS} objects (YAML aliases?)")
        body = source.mapping(document, "a Kubernetes object")
        kind = body.get("kind")
        if not isinstance(kind, str) or not kind:
            source.fail("a Kubernetes object needs a 'kind'")
        if kind == "List" or (kind.endswith("List") and "items" in body):
            if depth >= _MAX_NESTING:
                source.fail("Lists nest too deep")
            for item in source.sequence(body.get("items") or [], f"{kind} items"):
                self._collect(item, source, depth + 1)
            return
        self._add(kind, body, source)

    def _add(self, kind: str, body: dict[str, Any], source: Source) -> None:
        meta = source.mapping(body.get("metadata") or {}, f"{kind}: metadata")
        name = source.text(meta.get("name"), f"{kind}: metadata.name")
        namespace = dns_label(str(meta.get("namespace") or "default"), "default")
        obj = Obj(kind, str(body.get("apiVersion", "")), name, namespace, body, source)
        if (kind, namespace, name) in self._seen:
            self.graph.warn(
                f"{kind} {name} is defined again; the later definition is used",
                where=source.where(),
                group="redefined",
            )
        self._seen.add((kind, namespace, name))
        if kind in WORKLOAD_KINDS:
            self.workloads[obj.key] = obj
        elif kind == "Service":
            self.services[obj.key] = obj
        elif kind == "ConfigMap":
            data = obj.field(body.get("data"), "data")
            self.configmaps[obj.key] = {str(k): str(v) for k, v in data.items() if v is not None}
        elif kind == "Namespace":
            self.namespaces[name] = obj
        elif kind in _ISTIO_KINDS and obj.api.startswith(("networking.istio.io", "security.istio")):
            self._istio[kind][obj.key] = obj
        elif kind in _ROUTE_KINDS or (kind == "Gateway" and "gateway.networking.k8s.io" in obj.api):
            self.routes.append(obj)
        elif kind in ("Job", "CronJob"):
            self.graph.warn(
                f"{kind} {name} skipped: jobs are not services", where=source.where(), group=kind
            )
        elif kind not in _QUIET_KINDS:
            self.graph.warn(f"{kind} {name} skipped: not read", where=source.where(), group=kind)

    def istio(self, kind: str) -> list[Obj]:
        """The Istio objects of ``kind`` (VirtualService, DestinationRule, ...)."""
        return list(self._istio[kind].values())

    def labels(self, workload: Obj, what: str = "labels") -> dict[str, str]:
        """The pod template's labels (``what="annotations"``: its annotations)."""
        cached = self._labels.get((workload.key, what))
        if cached is None:
            template = workload.field(workload.spec.get("template"), "spec.template")
            meta = workload.field(template.get("metadata"), "spec.template.metadata")
            cached = {str(k): str(v) for k, v in workload.field(meta.get(what), what).items()}
            self._labels[(workload.key, what)] = cached
        return cached

    def for_host(self, kind: str, service: tuple[str, str]) -> list[Obj]:
        """The Istio objects of ``kind`` whose ``hosts`` (or ``host``) name ``service``."""
        if kind not in self._by_host:
            index: dict[tuple[str, str], list[Obj]] = defaultdict(list)
            for obj in self.istio(kind):
                raw = obj.spec.get("hosts", [obj.spec.get("host")])
                for host in obj.items(raw if isinstance(raw, list) else [raw], "hosts"):
                    key = self.service_key(str(host), obj.namespace)
                    if key is not None and obj not in index[key]:
                        index[key].append(obj)
            self._by_host[kind] = index
        return self._by_host[kind].get(service, [])

    def selected(self, service: tuple[str, str]) -> list[tuple[str, str]]:
        """Workloads whose pods the Service's selector matches, in manifest order."""
        if service not in self._selected:
            obj = self.services[service]
            selector = {
                str(k): str(v) for k, v in obj.field(obj.spec.get("selector"), "selector").items()
            }
            if self._by_label is None:
                self._by_label = defaultdict(set)
                for key, workload in self.workloads.items():
                    for label in self.labels(workload).items():
                        self._by_label[(key[0], *label)].add(key)
            matches = [
                self._by_label.get((service[0], *label), set()) for label in selector.items()
            ]
            chosen = set.intersection(*matches) if matches else set()
            order = {key: i for i, key in enumerate(self.workloads)} if len(chosen) > 1 else {}
            self._selected[service] = sorted(chosen, key=order.get)
        return self._selected[service]

    def service_key(self, host: str, namespace: str) -> tuple[str, str] | None:
        """The Service a host name names (``name``, ``name.ns``, ``name.ns.svc[...]``), if any."""
        parts = host.strip().lower().rstrip(".").split(".")
        if len(parts) == 1:
            key = (namespace, parts[0])
        elif len(parts) == 2 or parts[2] == "svc":
            key = (parts[1], parts[0])
        else:
            return None
        return key if key in self.services else None

    def workloads_for(
        self, host: str, namespace: str, labels: dict[str, str] | None = None
    ) -> list[tuple[str, str]]:
        """Workloads behind a host name, narrowed to pods with ``labels`` (a subset)."""
        service = self.service_key(host, namespace)
        if service is None:
            return []
        chosen = self.selected(service)
        if labels:
            chosen = [k for k in chosen if labels.items() <= self.labels(self.workloads[k]).items()]
        return chosen
