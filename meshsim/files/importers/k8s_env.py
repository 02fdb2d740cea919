"""Host names in container environment values: where a workload's calls go.

A value may name a Service as ``name``, ``name:port``, ``name.ns``,
``name.ns.svc[.cluster.local][:port]`` or inside a URL
(``scheme://[user[:password]@]host[:port]/path``, also ``jdbc:mysql://...``) or a Go
MySQL DSN (go-sql-driver: ``[user[:password]@]tcp(host[:port])/dbname``; a
``unix(...)`` socket names no host); several may be separated by commas. An
``X_HOST`` value names the host on its own, so an ``X_HOST``/``X_PORT`` pair needs
nothing more. Values come from ``env``
(``value`` or ``valueFrom.configMapKeyRef``) and ``envFrom`` ConfigMaps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from meshsim.files.importers.k8s_cluster import Cluster, Obj

__all__ = ["env_values", "hosts_in"]

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?:[a-zA-Z][a-zA-Z0-9+.-]*:)*//")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$")
_PORT = re.compile(r"^\d{1,5}$")
# go-sql-driver/mysql: [user[:password]@][net[(addr)]]/dbname[?params]; only tcp names a host
_GO_DSN = re.compile(r"^(?:.*@)?tcp\(([^()/@]*)\)(?:/.*)?$")


def hosts_in(value: str) -> list[str]:
    """Host names a value may name (not yet checked against the Services).

    Examples
    --------
    >>> hosts_in("redis-cart:6379")
    ['redis-cart']
    >>> hosts_in("http://user:pw@details.bookinfo.svc.cluster.local:9080/x")
    ['details.bookinfo.svc.cluster.local']
    >>> hosts_in("catalogue_user:default_password@tcp(catalogue-db:3306)/socksdb")
    ['catalogue-db']
    >>> hosts_in("root@unix(/var/run/mysqld/mysqld.sock)/shop")
    []
    >>> hosts_in("/tmp/logs")
    []
    """
    hosts = []
    for token in value.split(","):
        host = _host_of(token.strip())
        if host is not None:
            hosts.append(host)
    return hosts


def _host_of(token: str) -> str | None:
    if not token or len(token) > 512:
        return None
    dsn = _GO_DSN.match(token)
    scheme = _SCHEME.match(token)
    if dsn:
        token = dsn.group(1)
    elif scheme:
        authority = re.split(r"[/?#]", token[scheme.end() :], maxsplit=1)[0]
        token = authority.rsplit("@", 1)[-1]
    elif any(c in token for c in "/@ \t\n?#="):
        return None
    host, _, port = token.partition(":")
    if port and not _PORT.match(port):
        return None
    host = host.lower()
    return host if _HOST.match(host) else None


def env_values(workload: Obj, cluster: Cluster) -> Iterator[tuple[str, str]]:
    """``(variable, value)`` of every container of the workload, ConfigMaps resolved."""
    template = workload.field(workload.spec.get("template"), "spec.template")
    pod = workload.field(template.get("spec"), "spec.template.spec")
    for container in workload.items(pod.get("containers"), "containers"):
        container = workload.field(container, "a container")
        for env in workload.items(container.get("env"), "env"):
            env = workload.field(env, "an env entry")
            value = _env_value(env, workload, cluster)
            if value is not None:
                yield str(env.get("name", "")), value
        for source in workload.items(container.get("envFrom"), "envFrom"):
            source = workload.field(source, "an envFrom entry")
            yield from _config_map(source, workload, cluster)


def _env_value(env: dict[str, Any], workload: Obj, cluster: Cluster) -> str | None:
    if "value" in env:
        return None if env["value"] is None else str(env["value"])
    ref = workload.field(
        workload.field(env.get("valueFrom"), "valueFrom").get("configMapKeyRef"), "configMapKeyRef"
    )
    if not ref:
        return None
    data = _config_map_data(str(ref.get("name", "")), workload, cluster)
    return None if data is None else data.get(str(ref.get("key", "")))


def _config_map(
    source: dict[str, Any], workload: Obj, cluster: Cluster
) -> Iterator[tuple[str, str]]:
    ref = workload.field(source.get("configMapRef"), "configMapRef")
    if not ref:
        return
    data = _config_map_data(str(ref.get("name", "")), workload, cluster)
    prefix = str(source.get("prefix") or "")
    for key, value in (data or {}).items():
        yield prefix + key, value


def _config_map_data(name: str, workload: Obj, cluster: Cluster) -> dict[str, str] | None:
    data = cluster.configmaps.get((workload.namespace, name))
    if data is None:
        cluster.graph.warn(
            f"{workload.kind} {workload.name} reads ConfigMap {name}, which is not in the input",
            where=workload.source.where(),
            group="missing ConfigMap",
        )
    return data
