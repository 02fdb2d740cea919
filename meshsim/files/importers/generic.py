"""Hand-drawn and exported graphs: Graphviz DOT (``dot``) and GraphML (``graphml``).

Both carry string attributes on nodes and edges; :func:`node_attributes` and
:func:`edge_attributes` (shared with ``csv``) read the ones meshsim understands:

* node: ``protocol``, ``replicas``, ``namespace``, ``entrypoint`` (with ``rate``),
  ``external``, ``errorRate``, ``serviceTime``, ``name`` (the service name; else the id);
* edge: observed ``calls`` (also ``callCount``, ``weight``, ``rate``, a numeric
  ``label``) and ``errors``; or a fixed ``probability`` / ``count``; ``protocol``.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from pathlib import Path

from meshsim.files.importers.common import Graph
from meshsim.files.importers.dotparse import parse_dot
from meshsim.files.importers.sources import Source, read_text
from meshsim.files.importers.values import (
    dns_label,
    format_duration_ms,
    parse_duration_ms,
    parse_rate,
)

__all__ = [
    "edge_attributes",
    "load_dot",
    "load_graphml",
    "node_attributes",
    "protocol_of",
    "service_name",
]

_NODE_KEYS = {
    "protocol": "protocol",
    "replicas": "replicas",
    "numreplicas": "replicas",
    "namespace": "namespace",
    "entrypoint": "entrypoint",
    "entry": "entrypoint",
    "isentrypoint": "entrypoint",
    "isroot": "entrypoint",
    "rate": "rate",
    "external": "external",
    "errorrate": "errorRate",
    "servicetime": "serviceTime",
}
_EDGE_KEYS = {
    "calls": "calls",
    "callcount": "calls",
    "weight": "calls",
    "rate": "calls",
    "rps": "calls",
    "label": "label",
    "errors": "errors",
    "errorcount": "errors",
    "probability": "probability",
    "p": "probability",
    "count": "count",
    "protocol": "protocol",
}
_TRUE = {"true", "1", "yes", "y", "on"}
_GENERATED_ID = re.compile(r"^(?:n|node|v|vertex|id)?[_-]?\d+$", re.IGNORECASE)
_HTTP = {"http", "https", "http2", "h2", "h2c", "http/1.1"}


def _canonical(attrs: dict[str, str], keys: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in attrs.items():
        name = keys.get(key.lower().replace("_", "").replace("-", "").replace(" ", ""))
        if name is not None and str(value).strip():
            out[name] = str(value).strip()
    return out


def protocol_of(graph: Graph, value: str) -> str:
    """``http``, ``grpc`` or ``tcp`` for a protocol name (anything else is TCP, with a warning)."""
    name = value.strip().lower()
    if name in _HTTP:
        return "http"
    if name in ("grpc", "tcp"):
        return name
    graph.warn(f"protocol {value!r} is modelled as tcp", group=f"protocol {name}")
    return "tcp"


def node_attributes(graph: Graph, key: str, attrs: dict[str, str], source: Source) -> None:
    """Apply the node attributes meshsim reads to the service ``key``."""
    values = _canonical(attrs, _NODE_KEYS)
    node = graph.service(key)
    if "protocol" in values:
        node.protocol = protocol_of(graph, values["protocol"])
    if "replicas" in values:
        node.replicas = max(1, int(source.number(values["replicas"], f"{key}: replicas")))
    if "namespace" in values:
        node.namespace = dns_label(values["namespace"], "default")
    if "errorRate" in values:
        node.error_rate = _probability(values["errorRate"], f"{key}: errorRate", source)
    if "serviceTime" in values:
        try:
            node.service_time = format_duration_ms(parse_duration_ms(values["serviceTime"]), 6)
        except ValueError as err:
            source.fail(f"{key}: serviceTime: {err}")
    node.external = node.external or values.get("external", "").lower() in _TRUE
    if values.get("entrypoint", "").lower() in _TRUE:
        rate = None
        if "rate" in values:
            try:
                rate = parse_rate(values["rate"])
            except ValueError as err:
                source.fail(f"{key}: rate: {err}")
        graph.entrypoint(key, rate)


def edge_attributes(
    graph: Graph, caller: str, callee: str, attrs: dict[str, str], source: Source
) -> None:
    """Add the edge ``caller -> callee`` with the attributes meshsim reads."""
    values = _canonical(attrs, _EDGE_KEYS)
    what = f"{caller} -> {callee}"
    calls = values.get("calls")
    if calls is None and "label" in values and _is_number(values["label"]):
        calls = values["label"]
    probability = count = None
    if "probability" in values:
        probability = _probability(values["probability"], f"{what}: probability", source)
    if "count" in values:
        count = max(1, round(source.number(values["count"], f"{what}: count")))
    graph.edge(
        caller,
        callee,
        calls=None if calls is None else source.number(calls, f"{what}: calls"),
        errors=source.number(values["errors"], f"{what}: errors") if "errors" in values else None,
        probability=probability,
        count=count,
    )
    if "protocol" in values and graph.services[callee].protocol is None:
        graph.services[callee].protocol = protocol_of(graph, values["protocol"])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _probability(text: str, what: str, source: Source) -> float:
    value = text.strip()
    fraction = source.number(value[:-1], what) / 100 if value.endswith("%") else None
    if fraction is None:
        fraction = source.number(value, what)
    if fraction > 1:
        source.fail(f"{what} must be between 0 and 1 (or a percentage), got {text!r}")
    return fraction


def load_dot(paths: Sequence[Path], graph: Graph) -> None:
    """Add the nodes and edges of the DOT files in ``paths`` to ``graph``.

    Raises
    ------
    GraphImportError
        On a syntax error or a bad attribute value, with its line.
    """
    for path in paths:
        source = Source(str(path))
        dot = parse_dot(read_text(path), source)
        if not dot.directed:
            graph.warn(
                "an undirected graph: each edge is read as a call from left to right",
                where=source.file,
            )
        for name, attrs in dot.nodes.items():
            graph.service(name, service_name(name, attrs))
            node_attributes(graph, name, attrs, source.at(dot.node_lines[name]))
        for caller, callee, attrs, line in dot.edges:
            edge_attributes(graph, caller, callee, attrs, source.at(line))
        if not dot.nodes:
            source.fail("the graph has no nodes")


def load_graphml(paths: Sequence[Path], graph: Graph) -> None:
    """Add the nodes and edges of the GraphML files in ``paths`` to ``graph``.

    Raises
    ------
    GraphImportError
        When a file is not well-formed GraphML.
    """
    for path in paths:
        source = Source(str(path))
        root = _xml_root(read_text(path), source)
        keys = {
            key.get("id"): key.get("attr.name") or key.get("id") or ""
            for key in _elements(root, "key")
        }
        graphs = _elements(root, "graph")
        if not graphs:
            source.fail("no <graph> element (is this GraphML?)")
        if graphs[0].get("edgedefault") == "undirected":
            graph.warn(
                "an undirected graph: each edge is read as a call from source to target",
                where=source.file,
            )
        _graphml_elements(graph, root, keys, source)


def service_name(key: str, attrs: dict[str, str]) -> str:
    """The service's name: ``name``, else ``label`` for a generated id, else the id.

    yEd, Gephi, networkx and Cytoscape export ids like ``n0``, ``node12`` or ``7`` and
    keep the service's name in the label (its first line); a real id is the name and
    its label only a caption.

    Examples
    --------
    >>> service_name("n3", {"label": "ts-order-service"})
    'ts-order-service'
    >>> service_name("frontend", {"label": "Front End"})
    'frontend'
    """
    for attr, value in attrs.items():
        if attr.lower() == "name" and value.strip():
            return value.strip()
    if _GENERATED_ID.match(key):
        for attr, value in attrs.items():
            text = value.replace("\\n", "\n").split("\n")[0].strip()
            if attr.lower() == "label" and text and not text.startswith("<"):
                return text
    return key


def _yed_label(element: ElementTree.Element) -> str | None:
    """The text of a yEd ``<y:NodeLabel>`` inside the node's data, if any."""
    for child in element.iter():
        if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "NodeLabel":
            if child.text and child.text.strip():
                return child.text.strip()
    return None


def _elements(root: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    """Elements called ``name`` in any (or no) XML namespace."""
    return [e for e in root.iter() if isinstance(e.tag, str) and e.tag.rsplit("}", 1)[-1] == name]


def _xml_root(text: str, source: Source) -> ElementTree.Element:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        source.fail("XML with a DOCTYPE or entities is not read (GraphML needs neither)")
    try:
        return ElementTree.fromstring(text)
    except ElementTree.ParseError as err:
        line = err.position[0] if err.position else None
        source.at(line).fail(f"invalid XML: {err}")


def _graphml_elements(
    graph: Graph, root: ElementTree.Element, keys: dict[str | None, str], source: Source
) -> None:
    def data(element: ElementTree.Element) -> dict[str, str]:
        return {
            keys.get(d.get("key"), d.get("key") or ""): (d.text or "")
            for d in element
            if isinstance(d.tag, str) and d.tag.rsplit("}", 1)[-1] == "data"
        }

    nodes = _elements(root, "node")
    if not nodes:
        source.fail("the graph has no nodes")
    for element in nodes:
        key = source.text(element.get("id"), "a <node> id")
        attrs = data(element)
        label = _yed_label(element)
        if label and "label" not in attrs:
            attrs["label"] = label
        graph.service(key, service_name(key, attrs))
        node_attributes(graph, key, attrs, source)
    for element in _elements(root, "edge"):
        caller = source.text(element.get("source"), "an <edge> source")
        callee = source.text(element.get("target"), "an <edge> target")
        edge_attributes(graph, caller, callee, data(element), source)
