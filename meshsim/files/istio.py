"""Istio manifests for the state of a rollout phase (``meshsim export istio``).

For phase k everything in force after phases 1..k is exported, as files whose
numbered names give the order to apply them:

* injection: a ``Namespace`` labelled ``istio-injection: enabled`` when every service
  of the namespace is meshed, else a partial ``Deployment`` per meshed service whose pod
  template carries ``sidecar.istio.io/inject: "true"`` (as a label, which is what
  Istio's injection webhook selects on outside labelled namespaces, and as the older
  annotation); ``istio-ambient`` uses ``istio.io/dataplane-mode: ambient`` instead, and
  a waypoint ``Gateway`` per namespace plus ``istio.io/use-waypoint`` Service labels;
* ``PeerAuthentication`` (security.istio.io/v1) for every mTLS rule in force (the mesh
  scope in ``istio-system``; a service scope selects pods labelled ``app: <service>``);
* ``AuthorizationPolicy`` (security.istio.io/v1, SPEC §20) for every allow list in force:
  ``action: ALLOW`` selecting ``app: <service>`` with one rule whose ``from`` source lists
  the callers' principals ``cluster.local/ns/<namespace>/sa/<service>`` (service accounts
  are assumed to be named like their service; ``@gateway`` is
  ``cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account``); an empty
  list is an ALLOW policy without rules (it matches nothing, so it denies all); a mesh
  ``default: deny`` is the allow-nothing policy (``spec: {}``) in ``istio-system``;
* ``VirtualService`` (timeout, retries) and ``DestinationRule`` (connectionPool,
  outlierDetection), networking.istio.io/v1, for each host with a policy in force:
  ``mesh.defaults`` merged with ``mesh.policies`` and the phases' policies. When
  ``mesh.defaults`` is customised every service gets them, as Istio has no per-mesh
  default for these fields outside MeshConfig.

Partial manifests are meant for ``kubectl patch`` / server-side apply; the others for
``kubectl apply``. Deployments are assumed to be named like their service.
"""

from __future__ import annotations

from typing import Any

import yaml

from meshsim.rollout.state import PhaseState, phase_state, resolve_phase
from models import Scenario
from models.beyond import GATEWAY_IDENTITY
from models.mesh import Policy

__all__ = ["GATEWAY_PRINCIPAL", "export_istio", "istio_duration", "principal"]

_NET = "networking.istio.io/v1"


def istio_duration(seconds: float) -> str:
    """An Istio/Go duration string: whole seconds as ``2s``, else milliseconds (>= 1ms).

    Examples
    --------
    >>> istio_duration(2.0), istio_duration(0.5), istio_duration(1.25)
    ('2s', '500ms', '1250ms')
    """
    if seconds >= 1 and float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{max(1, round(seconds * 1000))}ms"


def _fqdn(scenario: Scenario, name: str) -> str:
    return f"{name}.{scenario.service(name).namespace}.svc.cluster.local"


def _meta(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def _how_to_apply(file: str) -> str:
    """The comment line that says how to apply ``file`` (partial Deployments need SSA)."""
    if file.startswith("20"):
        return (
            f"# apply with: kubectl apply --server-side --field-manager=meshsim -f {file}\n"
            "# (partial Deployments: server-side apply merges these labels into the existing"
            " ones)\n"
        )
    return f"# apply with: kubectl apply -f {file}\n"


def _injection(scenario: Scenario, meshed: frozenset[str]) -> tuple[list[dict], list[dict]]:
    """(Namespace manifests, partial Deployment manifests) that mesh ``meshed``."""
    ambient = scenario.mesh.profile == "istio-ambient"
    label = ("istio.io/dataplane-mode", "ambient") if ambient else ("istio-injection", "enabled")
    by_ns: dict[str, list[str]] = {}
    for s in scenario.services:
        by_ns.setdefault(s.namespace, []).append(s.name)
    namespaces, deployments = [], []
    for ns, names in by_ns.items():
        if all(n in meshed for n in names):
            namespaces.append(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": _meta(ns, labels={label[0]: label[1]}),
                }
            )
            continue
        for name in (n for n in names if n in meshed):
            pod: dict[str, Any] = {"labels": {label[0]: label[1]}}
            if not ambient:
                pod = {
                    "labels": {"sidecar.istio.io/inject": "true"},
                    "annotations": {"sidecar.istio.io/inject": "true"},
                }
            deployments.append(
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "metadata": _meta(name, ns),
                    "spec": {"template": {"metadata": pod}},
                }
            )
    return namespaces, deployments


def _waypoints(scenario: Scenario, names: list[str]) -> list[dict]:
    docs: list[dict] = []
    for ns in dict.fromkeys(scenario.service(n).namespace for n in names):
        docs.append(
            {
                "apiVersion": "gateway.networking.k8s.io/v1",
                "kind": "Gateway",
                "metadata": _meta("waypoint", ns, labels={"istio.io/waypoint-for": "service"}),
                "spec": {
                    "gatewayClassName": "istio-waypoint",
                    "listeners": [{"name": "mesh", "port": 15008, "protocol": "HBONE"}],
                },
            }
        )
    for name in names:
        ns = scenario.service(name).namespace
        docs.append(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": _meta(name, ns, labels={"istio.io/use-waypoint": "waypoint"}),
            }
        )
    return docs


def _peer_authentications(scenario: Scenario, state: PhaseState) -> list[dict]:
    docs = []
    for (scope, name), mode in state.mtls_rules.items():
        if scope == "mesh":
            meta, spec = _meta("default", "istio-system"), {"mtls": {"mode": mode}}
        elif scope == "namespace":
            meta, spec = _meta("default", name), {"mtls": {"mode": mode}}
        else:
            ns = scenario.service(str(name)).namespace
            spec = {"selector": {"matchLabels": {"app": name}}, "mtls": {"mode": mode}}
            meta = _meta(str(name), ns)
        docs.append(
            {
                "apiVersion": "security.istio.io/v1",
                "kind": "PeerAuthentication",
                "metadata": meta,
                "spec": spec,
            }
        )
    return docs


GATEWAY_PRINCIPAL = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
"""The identity of Istio's default ingress gateway."""


def principal(scenario: Scenario, caller: str) -> str:
    """The SPIFFE principal (without ``spiffe://``) an allow list entry stands for.

    Examples
    --------
    >>> from models import Scenario
    >>> s = Scenario.model_validate({"services": [{"name": "a", "namespace": "shop"}],
    ...     "entrypoints": [{"name": "w", "service": "a", "rate": 1}]})
    >>> principal(s, "a")
    'cluster.local/ns/shop/sa/a'
    """
    if caller == GATEWAY_IDENTITY:
        return GATEWAY_PRINCIPAL
    return f"cluster.local/ns/{scenario.service(caller).namespace}/sa/{caller}"


def _authorization_policies(scenario: Scenario, state: PhaseState) -> list[dict]:
    docs = []
    head = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy"}
    if state.authz_deny_default:
        docs.append({**head, "metadata": _meta("allow-nothing", "istio-system"), "spec": {}})
    for s in scenario.services:
        allow = state.authz.get(s.name)
        if allow is None:
            continue
        spec: dict[str, Any] = {"selector": {"matchLabels": {"app": s.name}}, "action": "ALLOW"}
        if allow:
            principals = [principal(scenario, c) for c in allow]
            spec["rules"] = [{"from": [{"source": {"principals": principals}}]}]
        docs.append({**head, "metadata": _meta(f"{s.name}-allow", s.namespace), "spec": spec})
    return docs


def _virtual_service(scenario: Scenario, name: str, policy: Policy) -> dict:
    host = _fqdn(scenario, name)
    route: dict[str, Any] = {"route": [{"destination": {"host": host}}]}
    if policy.timeout is not None:
        route["timeout"] = istio_duration(policy.timeout)
    retries = policy.retries
    if retries is None or not retries.retry_on or retries.attempts == 0:
        route["retries"] = {"attempts": 0}
    else:
        tokens = [*retries.retry_on, *(str(c) for c in retries.retriable_status_codes)]
        route["retries"] = {"attempts": retries.attempts}
        if retries.per_try_timeout is not None:
            route["retries"]["perTryTimeout"] = istio_duration(retries.per_try_timeout)
        route["retries"]["retryOn"] = ",".join(tokens)
    return {
        "apiVersion": _NET,
        "kind": "VirtualService",
        "metadata": _meta(name, scenario.service(name).namespace),
        "spec": {"hosts": [host], "http": [route]},
    }


def _destination_rule(scenario: Scenario, name: str, policy: Policy) -> dict | None:
    pool = policy.connection_pool
    tcp = {"maxConnections": pool.max_connections} if pool.max_connections is not None else {}
    http = {
        key: value
        for key, value in (
            ("http1MaxPendingRequests", pool.max_pending_requests),
            ("http2MaxRequests", pool.max_requests),
            ("maxRetries", pool.max_retries),
        )
        if value is not None
    }
    traffic: dict[str, Any] = {}
    if tcp or http:
        traffic["connectionPool"] = {k: v for k, v in (("tcp", tcp), ("http", http)) if v}
    od = policy.outlier_detection
    if od is not None:
        traffic["outlierDetection"] = {
            "consecutive5xxErrors": od.consecutive_5xx_errors,
            "interval": istio_duration(od.interval),
            "baseEjectionTime": istio_duration(od.base_ejection_time),
            "maxEjectionPercent": round(od.max_ejection_percent),
        }
    if not traffic:
        return None
    return {
        "apiVersion": _NET,
        "kind": "DestinationRule",
        "metadata": _meta(name, scenario.service(name).namespace),
        "spec": {"host": _fqdn(scenario, name), "trafficPolicy": traffic},
    }


def _notes(scenario: Scenario, policies: dict[str, Policy]) -> list[str]:
    notes = []
    for name, policy in policies.items():
        if scenario.service(name).protocol == "tcp":
            notes.append(f"{name} serves plain TCP: no VirtualService (HTTP routes do not apply)")
        r = policy.retries
        if r is not None and r.budget is not None:
            notes.append(f"{name}: the retry budget has no VirtualService field; not exported")
        od = policy.outlier_detection
        if od is not None and od.always_eject_one_host:
            notes.append(
                f"{name}: alwaysEjectOneHost is an Envoy field with no DestinationRule field "
                "(set it with an EnvoyFilter); not exported"
            )
        if r is not None and "backoff" in r.model_fields_set:
            notes.append(f"{name}: Istio has no back-off field; Envoy uses 25ms base")
    return notes


def _partial_notes(scenario: Scenario, state: PhaseState) -> list[str]:
    """How to apply what only part of a service gets (SPEC §20): canaries and clusters.

    Istio injects per pod, so a canary is a second Deployment of the same ``app``
    label; a cluster onboarded on its own gets the injection applied in its context.
    """
    notes = []
    for s in scenario.services:
        flags = state.partial.get(s.name)
        if flags is None or s.name not in state.canary:
            continue
        meshed = sum(flags)
        notes.append(
            f"canary {s.name}: run {meshed} of {s.replicas} replicas as a Deployment "
            f'{s.name}-canary (label app: {s.name}, sidecar.istio.io/inject: "true") and '
            f"scale {s.name} to {s.replicas - meshed}"
        )
    for name in sorted(state.clusters):
        notes.append(f"cluster {name}: apply the injection with kubectl --context {name}")
    return notes


def export_istio(scenario: Scenario, phase: int | str | None = None) -> dict[str, str]:
    """The Istio manifests that put a phase of ``rollout.phases`` in force.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    phase : int or str, optional
        Phase by name or index (0 = baseline, nothing meshed); default the last.

    Returns
    -------
    dict
        File name → multi-document YAML text, in the order to apply them. Kinds with
        nothing to export are left out (the baseline exports nothing).

    Raises
    ------
    SimulationError
        For an unknown phase.
    """
    k = resolve_phase(scenario, phase)
    state = phase_state(scenario, k)
    waypoints = [s.name for s in scenario.services if s.name in state.waypoints]
    namespaces, deployments = _injection(scenario, state.meshed)
    policies = {host: state.policies[host] for host in state.policy_hosts}
    tcp = {s.name for s in scenario.services if s.protocol == "tcp"}
    rules = [_destination_rule(scenario, n, p) for n, p in policies.items()]
    files = {
        "10-namespaces.yaml": namespaces,
        "20-injection.yaml": deployments,
        "30-waypoints.yaml": _waypoints(scenario, waypoints) if waypoints else [],
        "40-peer-authentication.yaml": _peer_authentications(scenario, state),
        "45-authorization-policies.yaml": _authorization_policies(scenario, state),
        "50-virtual-services.yaml": [
            _virtual_service(scenario, n, p) for n, p in policies.items() if n not in tcp
        ],
        "60-destination-rules.yaml": [r for r in rules if r is not None],
    }
    head = f"# meshsim export istio: scenario {scenario.metadata.name}, phase {k} ({state.name})\n"
    head += "".join(f"# note: {n}\n" for n in _partial_notes(scenario, state))
    notes = "".join(f"# note: {n}\n" for n in _notes(scenario, policies))
    return {
        file: head
        + _how_to_apply(file)
        + (notes if file.startswith("50") else "")
        + yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False)
        for file, docs in files.items()
        if docs
    }
