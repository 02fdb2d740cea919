"""Telling an input's format from its name and content (``meshsim import auto``)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from meshsim.errors import GraphImportError
from meshsim.files.importers.sources import parse_json, parse_yaml_documents, read_text

__all__ = ["detect_format"]

_SUFFIXES = {".dot": "dot", ".gv": "dot", ".graphml": "graphml", ".csv": "csv", ".tsv": "csv"}
_DOT = re.compile(
    r"^\s*(?:(?://[^\n]*|/\*.*?\*/|#[^\n]*)\s*)*(?:strict\s+)?(?:di)?graph\b", re.I | re.S
)


def detect_format(paths: Sequence[Path]) -> str:
    """The format of the inputs, from their names and content.

    Parameters
    ----------
    paths : sequence of Path
        The input files; they must all be of one format.

    Returns
    -------
    str
        One of the formats of SPEC §13 (not ``auto``).

    Raises
    ------
    GraphImportError
        When a file cannot be read, its format cannot be told, or the files differ.
    """
    if not paths:
        raise GraphImportError("no input files")
    found = {str(path): _detect_one(path) for path in paths}
    if len(set(found.values())) > 1:
        listed = ", ".join(f"{name} is {fmt}" for name, fmt in found.items())
        raise GraphImportError(f"the inputs are of different formats ({listed}); import them apart")
    return next(iter(found.values()))


def _detect_one(path: Path) -> str:
    text = read_text(path)
    name = str(path)
    if path.suffix.lower() in _SUFFIXES:
        return _SUFFIXES[path.suffix.lower()]
    head = text.lstrip()
    if head.startswith("<"):
        if "graphml" in head[:4000]:
            return "graphml"
        raise GraphImportError("XML that is not GraphML", file=name)
    if _looks_like_dot(text):
        return "dot"
    if (
        "traces_service_graph_" in text
        and head[:1] not in ("{", "[")
        and "resourceMetrics" not in text
    ):
        return "otel-servicegraph"
    if head[:1] in ("{", "["):
        documents = [parse_json(text, name)]
    else:
        documents = [doc for _, doc in parse_yaml_documents(text, name) if doc is not None]
    found = _from_data(documents)
    if found is None:
        raise GraphImportError(
            "cannot tell the format from the content; name it (k8s, jaeger-deps, jaeger-trace, "
            "zipkin-deps, zipkin-trace, kiali, isotope, otel-servicegraph, dot, graphml, csv)",
            file=name,
        )
    return found


def _looks_like_dot(text: str) -> bool:
    """Whether the first thing after comments is ``[strict] graph`` or ``digraph``."""
    pos = 0
    while pos < len(text):
        rest = text[pos : pos + 2]
        if text[pos].isspace():
            pos += 1
        elif rest == "/*":
            end = text.find("*/", pos + 2)
            pos = len(text) if end < 0 else end + 2
        elif rest == "//" or text[pos] == "#":
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end + 1
        else:
            return bool(_DOT.match(text, pos))
    return False


def _from_data(documents: list[Any]) -> str | None:
    if not documents:
        return None
    if len(documents) > 1:
        return "k8s" if any(_is_k8s(d) for d in documents) else None
    data = documents[0]
    if isinstance(data, dict):
        return _from_mapping(data)
    if isinstance(data, list) and data:
        return _from_list(data)
    return None


def _is_k8s(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("kind"), str) and "apiVersion" in data


def _from_mapping(data: dict[str, Any]) -> str | None:
    if isinstance(data.get("elements"), dict):
        return "kiali"
    if "resourceMetrics" in data:
        return "otel-servicegraph"
    if "spans" in data:
        return "jaeger-trace"
    if isinstance(data.get("data"), list) and data["data"]:
        first = data["data"][0]
        if isinstance(first, dict) and "spans" in first:
            return "jaeger-trace"
        if isinstance(first, dict) and "parent" in first and "child" in first:
            return "jaeger-deps"
    if data.get("apiVersion") == "meshsim/v1":
        return None
    # isotope's documented form is K8s-like: apiVersion v1alpha1, kind MockServiceGraph
    if isinstance(data.get("services"), list) and (
        not _is_k8s(data) or data.get("kind") == "MockServiceGraph"
    ):
        return "isotope"
    if _is_k8s(data):
        return "k8s"
    return None


def _from_list(data: list[Any]) -> str | None:
    first = data[0]
    if isinstance(first, list) and first and isinstance(first[0], dict) and "traceId" in first[0]:
        return "zipkin-trace"
    if not isinstance(first, dict):
        return None
    if "parent" in first and "child" in first:
        has_errors = any(isinstance(d, dict) and "errorCount" in d for d in data)
        return "zipkin-deps" if has_errors else "jaeger-deps"
    if "traceId" in first:
        return "zipkin-trace"
    if "spans" in first:
        return "jaeger-trace"
    if _is_k8s(first):
        return "k8s"
    return None
