"""Istio objects as scenario settings: mesh policies, mTLS rules and faults (SPEC §6-§8).

VirtualService route ``timeout``/``retries`` and DestinationRule ``connectionPool``/
``outlierDetection`` become ``mesh.policies`` for the workloads behind the host
(a subset narrows them); PeerAuthentication becomes mTLS rules; route
``fault.delay``/``fault.abort`` become latency/error faults. Routes that match only
some requests are read as if they matched all, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from meshsim.files.importers.k8s_cluster import Cluster, Obj
from meshsim.files.importers.values import format_duration_ms, parse_duration_ms, round_sig
from models import RETRY_TOKENS

__all__ = ["IstioSettings", "destinations", "read_istio", "route_shares", "subsets"]

Workload = tuple[str, str]
_ROOT_NAMESPACE = "istio-system"
_POOL = {
    ("tcp", "maxConnections"): ("maxConnections", 1),
    ("http", "http1MaxPendingRequests"): ("maxPendingRequests", 0),
    ("http", "http2MaxRequests"): ("maxRequests", 1),
    ("http", "maxRetries"): ("maxRetries", 0),
}


class IstioSettings:
    """Policies per workload, mTLS rules and faults read from Istio objects."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.policies: dict[Workload, dict[str, Any]] = {}
        self.mtls: list[dict[str, Any]] = []
        self.faults: list[tuple[Workload, dict[str, Any]]] = []

    def warn(self, obj: Obj, message: str, group: str | None = None) -> None:
        """Warn about ``obj``, at its file and line."""
        self.cluster.graph.warn(
            f"{obj.kind} {obj.name}: {message}", where=obj.source.where(), group=group
        )

    def policy(self, workload: Workload) -> dict[str, Any]:
        """The policy being built for ``workload``."""
        return self.policies.setdefault(workload, {})


def read_istio(cluster: Cluster) -> IstioSettings:
    """Read every VirtualService, DestinationRule and PeerAuthentication of ``cluster``."""
    settings = IstioSettings(cluster)
    for rule in cluster.istio("DestinationRule"):
        _destination_rule(settings, rule)
    for service in cluster.istio("VirtualService"):
        _virtual_service(settings, service)
    for peer in cluster.istio("PeerAuthentication"):
        _peer_authentication(settings, peer)
    return settings


def subsets(cluster: Cluster, host: str, namespace: str) -> dict[str, dict[str, str]]:
    """Subset name → pod labels, from the DestinationRules of ``host``."""
    service = cluster.service_key(host, namespace)
    out: dict[str, dict[str, str]] = {}
    for rule in cluster.for_host("DestinationRule", service) if service else []:
        for subset in rule.items(rule.spec.get("subsets"), "subsets"):
            subset = rule.field(subset, "a subset")
            labels = rule.field(subset.get("labels"), "subset labels")
            out[str(subset.get("name"))] = {str(k): str(v) for k, v in labels.items()}
    return out


def destinations(cluster: Cluster, obj: Obj, route: dict[str, Any]) -> list[Workload]:
    """Workloads a VirtualService route sends traffic to (subsets honoured)."""
    out: list[Workload] = []
    for target in obj.items(route.get("route"), "route"):
        dest = obj.field(obj.field(target, "a route destination").get("destination"), "destination")
        host = str(dest.get("host", ""))
        labels = (
            subsets(cluster, host, obj.namespace).get(str(dest.get("subset")), {})
            if dest.get("subset")
            else {}
        )
        found = cluster.workloads_for(host, obj.namespace, labels)
        if not found:
            cluster.graph.warn(
                f"{obj.kind} {obj.name}: host {host!r} names no workload in the input",
                where=obj.source.where(),
                group="unknown host",
            )
        out += [w for w in found if w not in out]
    return out


def route_shares(
    cluster: Cluster, service: tuple[str, str], workloads: list[Workload]
) -> dict[Workload, float]:
    """Share of calls to ``service`` each of its ``workloads`` gets.

    The weights of the first route without a match of a mesh VirtualService for the
    host (a subset's weight split evenly among its workloads); else an even split.
    """
    for obj in cluster.for_host("VirtualService", service):
        gateways = [str(g) for g in obj.items(obj.spec.get("gateways"), "gateways")]
        if gateways and "mesh" not in gateways:
            continue
        routes = [obj.field(r, "an http route") for r in obj.items(obj.spec.get("http"), "http")]
        default = next((r for r in routes if not r.get("match")), None)
        if default is not None:
            shares = _weights(cluster, obj, default, workloads)
            if shares:
                return shares
    return {w: 1 / len(workloads) for w in workloads} if workloads else {}


def _weights(
    cluster: Cluster, obj: Obj, route: dict[str, Any], workloads: list[Workload]
) -> dict[Workload, float]:
    targets = [obj.field(t, "a route destination") for t in obj.items(route.get("route"), "route")]
    shares: dict[Workload, float] = {}
    for target in targets:
        dest = obj.field(target.get("destination"), "destination")
        host = str(dest.get("host", ""))
        subset = subsets(cluster, host, obj.namespace).get(str(dest.get("subset")), {})
        chosen = [w for w in cluster.workloads_for(host, obj.namespace, subset) if w in workloads]
        default = 100 if len(targets) == 1 else 0
        weight = obj.source.number(target.get("weight", default), f"{obj.name}: weight")
        for workload in chosen:
            shares[workload] = shares.get(workload, 0.0) + weight / len(chosen)
    total = sum(shares.values())
    return {w: s / total for w, s in shares.items() if s > 0} if total > 0 else {}


def _duration(settings: IstioSettings, obj: Obj, value: Any, what: str) -> str | None:
    try:
        ms = parse_duration_ms(value)
    except ValueError as err:
        settings.warn(obj, f"{what}: {err}; ignored")
        return None
    return format_duration_ms(ms, digits=9)


def _virtual_service(settings: IstioSettings, obj: Obj) -> None:
    routes = [obj.field(r, "an http route") for r in obj.items(obj.spec.get("http"), "http")]
    for route in sorted(routes, key=lambda r: bool(r.get("match"))):
        if not any(k in route for k in ("timeout", "retries", "fault")):
            continue
        targets = destinations(settings.cluster, obj, route)
        if route.get("match"):
            settings.warn(
                obj,
                f"a route matching only some requests ({_describe(route['match'])}) sets "
                f"{', '.join(k for k in ('timeout', 'retries', 'fault') if k in route)}; "
                "imported as if it applied to all requests",
            )
        _route_policy(settings, obj, route, targets)
        if "fault" in route:
            _faults(settings, obj, obj.field(route["fault"], "fault"), targets)


def _describe(match: Any) -> str:
    keys = []
    for condition in match if isinstance(match, list) else [match]:
        if isinstance(condition, dict):
            for key, value in condition.items():
                names = ", ".join(map(str, value)) if isinstance(value, dict) else ""
                keys.append(f"{key} {names}".strip())
    return "; ".join(keys) or "a match"


def _route_policy(
    settings: IstioSettings, obj: Obj, route: dict[str, Any], targets: list[Workload]
) -> None:
    timeout = retries = None
    if "timeout" in route:
        timeout = _duration(settings, obj, route["timeout"], "timeout")
        timeout = "none" if timeout == "0ms" else timeout
    if "retries" in route:
        retries = _retries(settings, obj, obj.field(route["retries"], "retries"))
    for workload in targets:
        policy = settings.policy(workload)
        if timeout is not None:
            policy.setdefault("timeout", timeout)
        if retries is not None:
            policy.setdefault("retries", retries)


def _retries(settings: IstioSettings, obj: Obj, raw: dict[str, Any]) -> dict[str, Any] | str:
    # Istio's ConvertPolicy (pilot/pkg/networking/core/route/retry/retry.go) returns no Envoy
    # retry policy when attempts <= 0, and an unset attempts is 0: such a `retries` block
    # turns retries off (its perTryTimeout and retryOn go with it); only a missing block
    # gets the mesh default of 2.
    attempts = 0
    if "attempts" in raw:
        attempts = int(obj.source.number(raw["attempts"], f"{obj.name}: retries.attempts"))
    if attempts <= 0:
        if "attempts" not in raw:
            settings.warn(obj, "retries without attempts turns retries off in Istio (attempts 0)")
        return "none"
    out: dict[str, Any] = {"attempts": attempts}
    if "perTryTimeout" in raw:
        per_try = _duration(settings, obj, raw["perTryTimeout"], "retries.perTryTimeout")
        if per_try is not None:
            out["perTryTimeout"] = "none" if per_try == "0ms" else per_try
    if "retryOn" in raw:
        tokens = [t.strip() for t in str(raw["retryOn"]).split(",") if t.strip()]
        codes = sorted({int(t) for t in tokens if t.isdigit() and 100 <= int(t) <= 599})
        kept = [t for t in dict.fromkeys(tokens) if t in RETRY_TOKENS]
        dropped = [t for t in tokens if t not in RETRY_TOKENS and not t.isdigit()]
        if codes and "retriable-status-codes" not in kept:
            kept.append("retriable-status-codes")
        if dropped:
            settings.warn(obj, f"retryOn {', '.join(dropped)} not modelled; dropped")
        if kept:
            out["retryOn"] = kept
        if codes:
            out["retriableStatusCodes"] = codes
    return out


def _faults(
    settings: IstioSettings, obj: Obj, fault: dict[str, Any], targets: list[Workload]
) -> None:
    if "delay" in fault:
        delay = obj.field(fault["delay"], "fault.delay")
        share = _share(obj, delay)
        value: Any = None
        if "fixedDelay" in delay:
            value = _duration(settings, obj, delay["fixedDelay"], "fault.delay.fixedDelay")
        elif "exponentialDelay" in delay:
            mean = _duration(
                settings, obj, delay["exponentialDelay"], "fault.delay.exponentialDelay"
            )
            value = None if mean is None else {"dist": "exponential", "mean": mean}
        if value is not None and share > 0:
            settings.faults += [
                (w, {"type": "latency", "delay": value, "probability": share}) for w in targets
            ]
    if "abort" in fault:
        abort = obj.field(fault["abort"], "fault.abort")
        status = abort.get("httpStatus")
        if status not in (None, 500, "500"):
            settings.warn(obj, f"fault.abort status {status} is modelled as an error (500)")
        elif status is None:
            settings.warn(obj, "fault.abort without httpStatus is modelled as an error (500)")
        share = _share(obj, abort)
        if share > 0:
            settings.faults += [(w, {"type": "error", "errorRate": share}) for w in targets]


def _share(obj: Obj, fault: dict[str, Any]) -> float:
    """Fraction of requests a fault hits: ``percentage.value`` (or ``percent``), default all."""
    if "percentage" in fault:
        value = obj.field(fault["percentage"], "percentage").get("value", 0)
    else:
        value = fault.get("percent", 100)
    return round_sig(min(100.0, obj.source.number(value, f"{obj.name}: fault percentage")) / 100)


def _destination_rule(settings: IstioSettings, obj: Obj) -> None:
    host = str(obj.spec.get("host", ""))
    workloads = settings.cluster.workloads_for(host, obj.namespace)
    if not workloads:
        settings.warn(obj, f"host {host!r} names no workload in the input", group="unknown host")
        return
    for workload in workloads:
        _traffic_policy(settings, obj, obj.spec.get("trafficPolicy"), workload)
    for subset in obj.items(obj.spec.get("subsets"), "subsets"):
        subset = obj.field(subset, "a subset")
        if subset.get("trafficPolicy"):
            labels = {str(k): str(v) for k, v in obj.field(subset.get("labels"), "labels").items()}
            for workload in settings.cluster.workloads_for(host, obj.namespace, labels):
                _traffic_policy(settings, obj, subset["trafficPolicy"], workload, override=True)


def _traffic_policy(
    settings: IstioSettings, obj: Obj, raw: Any, workload: Workload, override: bool = False
) -> None:
    policy = obj.field(raw, "trafficPolicy")
    if policy.get("portLevelSettings"):
        settings.warn(obj, "portLevelSettings are not modelled; ignored", group="portLevelSettings")
    target = settings.policy(workload)
    for name, value in (
        ("connectionPool", _pool(settings, obj, policy)),
        ("outlierDetection", _outlier(settings, obj, policy)),
    ):
        if value and (override or name not in target):
            target[name] = value


def _pool(settings: IstioSettings, obj: Obj, policy: dict[str, Any]) -> dict[str, Any]:
    pool = obj.field(policy.get("connectionPool"), "connectionPool")
    out: dict[str, Any] = {}
    for part in ("tcp", "http"):
        for key, value in obj.field(pool.get(part), f"connectionPool.{part}").items():
            name, least = _POOL.get((part, key), (None, 0))
            if name is None:
                settings.warn(
                    obj, f"connectionPool.{part}.{key} is not modelled; ignored", group="pool field"
                )
                continue
            number = int(obj.source.number(value, f"{obj.name}: connectionPool.{part}.{key}"))
            if number >= least:
                out[name] = number
    return out


def _outlier(settings: IstioSettings, obj: Obj, policy: dict[str, Any]) -> dict[str, Any]:
    raw = obj.field(policy.get("outlierDetection"), "outlierDetection")
    if not raw:
        return {}
    out: dict[str, Any] = {}
    errors = raw.get("consecutive5xxErrors", raw.get("consecutiveErrors"))
    if errors is None and "consecutiveGatewayErrors" in raw:
        settings.warn(obj, "consecutiveGatewayErrors read as consecutive5xxErrors")
        errors = raw["consecutiveGatewayErrors"]
    if errors is not None:
        count = int(obj.source.number(errors, f"{obj.name}: outlierDetection.consecutive5xxErrors"))
        if count < 1:
            settings.warn(
                obj, "consecutive5xxErrors 0 turns 5xx ejection off; outlierDetection ignored"
            )
            return {}
        out["consecutive5xxErrors"] = count
    for key in ("interval", "baseEjectionTime"):
        if key in raw and (value := _duration(settings, obj, raw[key], f"outlierDetection.{key}")):
            if value != "0ms":
                out[key] = value
    if "maxEjectionPercent" in raw:
        percent = obj.source.number(raw["maxEjectionPercent"], f"{obj.name}: maxEjectionPercent")
        out["maxEjectionPercent"] = min(100.0, percent)
    return out


def _peer_authentication(settings: IstioSettings, obj: Obj) -> None:
    mode = str(obj.field(obj.spec.get("mtls"), "mtls").get("mode", "UNSET")).upper()
    if obj.spec.get("portLevelMtls"):
        settings.warn(obj, "portLevelMtls is not modelled; ignored")
    if mode == "UNSET":
        return
    if mode == "DISABLE":
        settings.warn(obj, "mode DISABLE is modelled as PERMISSIVE (plaintext accepted)")
        mode = "PERMISSIVE"
    if mode not in ("STRICT", "PERMISSIVE"):
        settings.warn(obj, f"unknown mTLS mode {mode!r}; ignored")
        return
    for rule in _mtls_rules(settings, obj, mode):
        settings.mtls.append(rule)


def _mtls_rules(settings: IstioSettings, obj: Obj, mode: str) -> Iterator[dict[str, Any]]:
    selector = obj.field(
        obj.field(obj.spec.get("selector"), "selector").get("matchLabels"), "matchLabels"
    )
    cluster = settings.cluster
    if selector:
        labels = {str(k): str(v) for k, v in selector.items()}
        for key, workload in cluster.workloads.items():
            if key[0] == obj.namespace and labels.items() <= cluster.labels(workload).items():
                yield {"scope": "service", "name": cluster.graph.name_of(key), "mode": mode}
    elif obj.namespace == _ROOT_NAMESPACE:
        yield {"scope": "mesh", "mode": mode}
    elif any(key[0] == obj.namespace for key in cluster.workloads):
        yield {"scope": "namespace", "name": obj.namespace, "mode": mode}
    else:
        settings.warn(obj, f"no workload in namespace {obj.namespace}; ignored")
