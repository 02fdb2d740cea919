"""The graph every importer fills, and the scenario document made from it.

An importer adds services, observed edges (with call and error counts where the
format has them), explicit call scripts, entrypoints and warnings to a
:class:`Graph`; :meth:`Graph.document` then applies the rules of SPEC §13 that
are common to all formats (calls per request, own error rates, entrypoints,
finite cycles) and writes the scenario in wire format (camelCase).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from meshsim.files.importers.values import dns_label, format_duration_ms, format_rate, round_sig

__all__ = ["DEFAULT_RATE_RPS", "Call", "EdgeStats", "Entry", "Graph", "Item", "ServiceNode"]

DEFAULT_RATE_RPS = 100.0
"""Entry rate when neither the format nor ``--rate`` gives one."""

ASSUMED_SIGMA = 0.5
"""Log-normal sigma assumed when a format gives only a mean time (p99 ≈ 3.2 × median)."""

_LOGNORMAL_Z99 = 2.3263
_SIMILAR_WARNINGS_SHOWN = 10


@dataclass
class Call:
    """One call of a script, addressed by service key."""

    to: Hashable
    count: int = 1
    probability: float = 1.0


Item = Call | list[Call]
"""A script item: a call, or a parallel group (a list of calls)."""


@dataclass
class ServiceNode:
    """What an importer knows about one service."""

    key: Hashable
    name: str
    namespace: str | None = None
    replicas: int | None = None
    protocol: str | None = None
    external: bool = False
    error_rate: float | None = None
    service_time: Any = None
    self_times_ms: list[float] = field(default_factory=list)
    mean_self_ms: float | None = None
    requests: float | None = None
    error_samples: float | None = None
    hints: list[str] = field(default_factory=list)
    script: list[Item] = field(default_factory=list)
    concurrency_model: str | None = None


@dataclass
class EdgeStats:
    """An observed caller → callee edge, summed over every record of it."""

    seq: int
    calls: float | None = None
    errors: float | None = None
    probability: float | None = None
    count: int | None = None
    offset_ms_sum: float = 0.0
    offsets: int = 0

    @property
    def order(self) -> tuple[float, int]:
        """Sort key of the call in its caller's script: mean start offset, then first seen."""
        mean = self.offset_ms_sum / self.offsets if self.offsets else float("inf")
        return (mean, self.seq)


@dataclass
class Entry:
    """An entrypoint: its rate (None: ``--rate`` or the default) and client kind."""

    rate_rps: float | None
    client: str | None


class Graph:
    """Services, edges, entrypoints and warnings collected by an importer."""

    def __init__(self) -> None:
        self.services: dict[Hashable, ServiceNode] = {}
        self.edges: dict[tuple[Hashable, Hashable], EdgeStats] = {}
        self.entrypoints: dict[Hashable, Entry] = {}
        self.extras: dict[str, Any] = {}
        self.window_s: float | None = None
        # the user stated the window (--window): counts / window is the rate, however
        # few; a window the traces span by themselves is no window for a handful of them
        self.window_given = False
        # names of the entrypoints whose rate is the default (or the default's share)
        self.default_rated: set[str] = set()
        self.counts_are_rates = False
        # why services may get no traffic, when the format knows (said in that warning)
        self.unreached_why: str | None = None
        self.requests: dict[Hashable, float] = {}
        self._warnings: list[tuple[str | None, str]] = []
        self._names: set[str] = set()

    def service(self, key: Hashable, name: str | None = None) -> ServiceNode:
        """The service known by ``key``, created (with a unique DNS-1123 name) if new.

        Parameters
        ----------
        key : hashable
            The importer's identity of the service (a name, or a tuple).
        name : str, optional
            The name to derive the scenario name from; default ``str(key)``.
        """
        node = self.services.get(key)
        if node is None:
            node = ServiceNode(key, self._unique_name(name if name is not None else str(key)))
            self.services[key] = node
        return node

    def _unique_name(self, raw: str) -> str:
        label = dns_label(raw)
        name, n = label, 1
        while name in self._names:
            n += 1
            suffix = f"-{n}"
            name = label[: 63 - len(suffix)].rstrip("-") + suffix
        self._names.add(name)
        if name != raw:
            why = "names must be DNS-1123 labels" if name == label else "the name was taken"
            self.warn(f"service {raw!r} is named {name!r} ({why})", group="rename")
        return name

    def edge(
        self,
        caller: Hashable,
        callee: Hashable,
        *,
        calls: float | None = None,
        errors: float | None = None,
        probability: float | None = None,
        count: int | None = None,
        offset_ms: float | None = None,
    ) -> EdgeStats:
        """Record calls from ``caller`` to ``callee`` (services are created if new).

        ``calls`` and ``errors`` are observed totals (summed over records);
        ``probability`` and ``count`` fix the call item directly.
        """
        self.service(caller)
        self.service(callee)
        stats = self.edges.get((caller, callee))
        if stats is None:
            stats = self.edges[(caller, callee)] = EdgeStats(seq=len(self.edges))
        if calls is not None:
            stats.calls = (stats.calls or 0.0) + calls
        if errors is not None:
            stats.errors = (stats.errors or 0.0) + errors
        if probability is not None:
            stats.probability = probability
        if count is not None:
            stats.count = count
        if offset_ms is not None:
            stats.offset_ms_sum += offset_ms
            stats.offsets += 1
        return stats

    def entrypoint(
        self, key: Hashable, rate_rps: float | None = None, client: str | None = None
    ) -> None:
        """Declare ``key`` an entrypoint (the format's own); the first declaration wins."""
        self.service(key)
        self.entrypoints.setdefault(key, Entry(rate_rps, client))

    def warn(self, message: str, *, where: str | None = None, group: str | None = None) -> None:
        """Add a warning; ``where`` (``FILE`` or ``FILE:LINE``) prefixes it.

        Warnings of one ``group`` beyond the first few are summarised in one line.
        """
        text = f"{where}: {message}" if where else message
        self._warnings.append((group, text))

    @property
    def warnings(self) -> list[str]:
        """Warnings in order, long runs of one group summarised."""
        shown: dict[str, int] = {}
        out: list[str] = []
        for group, text in dict.fromkeys(self._warnings):
            if group is not None:
                shown[group] = shown.get(group, 0) + 1
                if shown[group] > _SIMILAR_WARNINGS_SHOWN:
                    continue
            out.append(text)
        for group, count in shown.items():
            if count > _SIMILAR_WARNINGS_SHOWN:
                hidden = count - _SIMILAR_WARNINGS_SHOWN
                out.append(f"... and {hidden} more warnings like the ones above ({group})")
        return out

    def name_of(self, key: Hashable) -> str:
        """The scenario name of the service known by ``key``."""
        return self.services[key].name

    def document(self, *, name: str, description: str, rate_rps: float | None) -> dict[str, Any]:
        """Apply the common rules of SPEC §13 and write the scenario document.

        Parameters
        ----------
        name, description : str
            The scenario's metadata.
        rate_rps : float, optional
            ``--rate``: the entry rate where the format gives none (default 100/s).
        """
        # the rules need the graph type, not vice versa
        from meshsim.files.importers import calls, realistic

        realistic.drop_load_generators(self)
        gateways = realistic.choice_gateways(self)
        self.requests = calls.derive_calls(self, gateways)
        calls.derive_error_rates(self)
        realistic.guard_error_rates(self)
        realistic.fit_service_times(self)
        entries = calls.choose_entrypoints(self)
        calls.break_certain_cycles(self, list(entries))
        realistic.thin_uncounted_calls(self, list(entries))
        realistic.async_cycles(self)
        return {
            "apiVersion": "meshsim/v1",
            "kind": "Scenario",
            "metadata": {"name": dns_label(name, "imported"), "description": description},
            "services": [_service_dict(self, node) for node in self.services.values()],
            "entrypoints": self._entrypoint_dicts(entries, rate_rps),
            **self.extras,
        }

    def _entrypoint_dicts(
        self, entries: dict[Hashable, Entry], rate_rps: float | None
    ) -> list[dict[str, Any]]:
        from meshsim.files.importers.realistic import observed_rate, relative_rates

        out = []
        overridden = False
        rates: dict[Hashable, float | None] = {}
        for key, entry in entries.items():
            rate = entry.rate_rps
            overridden = overridden or (rate is not None and rate_rps is not None)
            if rate is None and rate_rps is None:
                rate = observed_rate(self, key, self.requests.get(key))
            rates[key] = rate
        # the rates the input gives or observes; the rest default (or share the default)
        derived = {k for k, r in rates.items() if r is not None}
        if rate_rps is None:
            rates.update(relative_rates(self, [k for k, r in rates.items() if r is None]))
        for key, entry in entries.items():
            rate = rates[key]
            name = self.name_of(key)
            if rate_rps is None and key not in derived:
                self.default_rated.add(name)
            if rate is None:
                rate = rate_rps if rate_rps is not None else DEFAULT_RATE_RPS
            item: dict[str, Any] = {"name": name, "service": name, "rate": format_rate(rate)}
            if entry.client is not None:
                item["client"] = entry.client
            out.append(item)
        if overridden:
            self.warn("the input gives its own entry rates; --rate applies only where it does not")
        return out


def _service_dict(graph: Graph, node: ServiceNode) -> dict[str, Any]:
    out: dict[str, Any] = {"name": node.name}
    if node.namespace is not None and node.namespace != "default":
        out["namespace"] = node.namespace
    if node.replicas is not None and node.replicas != 1:
        out["replicas"] = node.replicas
    if node.protocol is not None:
        out["protocol"] = node.protocol
    if node.concurrency_model is not None:
        out["concurrencyModel"] = node.concurrency_model
    if node.external:
        out["external"] = True
    service_time = _service_time(node)
    if service_time is not None:
        out["serviceTime"] = service_time
    if node.error_rate:
        out["errorRate"] = round_sig(min(node.error_rate, 1.0))
    if node.script:
        out["calls"] = [_item_dict(graph, item) for item in node.script]
    return out


def _item_dict(graph: Graph, item: Item) -> dict[str, Any]:
    if isinstance(item, list):
        return {"parallel": [_call_dict(graph, call) for call in item]}
    return _call_dict(graph, item)


def _call_dict(graph: Graph, call: Call) -> dict[str, Any]:
    out: dict[str, Any] = {"to": graph.name_of(call.to)}
    if call.count > 1:
        out["count"] = call.count
    if call.probability < 1:
        out["probability"] = call.probability
    return out


def _service_time(node: ServiceNode) -> Any:
    if node.service_time is not None:
        return node.service_time
    if node.mean_self_ms:
        median = node.mean_self_ms * math.exp(-(ASSUMED_SIGMA**2) / 2)
        p99 = median * math.exp(_LOGNORMAL_Z99 * ASSUMED_SIGMA)
        return {
            "dist": "lognormal",
            "median": format_duration_ms(median),
            "p99": format_duration_ms(p99),
        }
    return None
