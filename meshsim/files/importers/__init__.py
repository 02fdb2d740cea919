"""Importers: turn a graph users already have into a scenario (SPEC §13).

Each format has a small module that fills a :class:`~meshsim.files.importers.common.Graph`;
the rules common to every format (calls per request, own error rates,
entrypoints, finite cycles) are applied once, in :meth:`Graph.document`.

Examples
--------
>>> from pathlib import Path
>>> result = import_graph("csv", [Path("edges.csv")])  # doctest: +SKIP
>>> result.document["services"][0]["name"]  # doctest: +SKIP
'frontend'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meshsim.errors import GraphImportError
from meshsim.files.importers import csv_, generic, isotope, jaeger, k8s, kiali, otel, zipkin
from meshsim.files.importers.common import Graph
from meshsim.files.importers.detect import detect_format
from meshsim.files.importers.sizing import (
    DEFAULT_TARGET_UTILIZATION,
    deepen,
    limit_default_load,
    size_replicas,
)
from meshsim.files.importers.values import dns_label

__all__ = ["FORMATS", "IMPORTERS", "ImportResult", "detect_format", "import_graph"]

Importer = Callable[[Sequence[Path], Graph], None]

IMPORTERS: dict[str, Importer] = {
    "k8s": k8s.load,
    "jaeger-deps": jaeger.load_deps,
    "jaeger-trace": jaeger.load_trace,
    "zipkin-deps": zipkin.load_deps,
    "zipkin-trace": zipkin.load_trace,
    "kiali": kiali.load,
    "isotope": isotope.load,
    "otel-servicegraph": otel.load,
    "dot": generic.load_dot,
    "graphml": generic.load_graphml,
    "csv": csv_.load,
}
"""The importer of each format name of SPEC §13."""

FORMATS: tuple[str, ...] = (*IMPORTERS, "auto")
"""Format names ``meshsim import`` accepts."""


@dataclass(frozen=True)
class ImportResult:
    """A scenario document in wire format (camelCase) and the importer's warnings."""

    document: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


def import_graph(
    fmt: str,
    paths: Sequence[Path],
    *,
    rate_rps: float | None = None,
    window_s: float | None = None,
    target_utilization: float = DEFAULT_TARGET_UTILIZATION,
) -> ImportResult:
    """Read ``paths`` in format ``fmt`` and write a scenario document.

    Parameters
    ----------
    fmt : str
        One of :data:`FORMATS`; ``auto`` tells the format from the content.
    paths : sequence of Path
        Input files of one format; they are merged.
    rate_rps : float, optional
        Entry rate (requests per second) where the input gives none; default 100/s.
        It also replaces a rate derived from observed counts over a window.
    window_s : float, optional
        Seconds the input's call counts cover (``--window``): entry rates are then
        the observed requests / window. Traces give their own window.
    target_utilization : float
        Replicas are raised so that every service's utilization at the imported
        load is at most this (``--target-utilization``, default 0.6).

    Returns
    -------
    ImportResult
        The document (validate it with ``models.Scenario.model_validate``) and one
        warning per thing inferred or not read.

    Raises
    ------
    GraphImportError
        When an input cannot be read or the format is unknown.
    """
    paths = [Path(p) for p in paths]
    if not paths:
        raise GraphImportError("no input files")
    if rate_rps is not None and (not math.isfinite(rate_rps) or rate_rps <= 0):
        raise GraphImportError(f"the rate must be a number > 0, got {rate_rps!r}")
    for what, value in (("window", window_s), ("target utilization", target_utilization)):
        if value is not None and (not math.isfinite(value) or value <= 0):
            raise GraphImportError(f"the {what} must be a number > 0, got {value!r}")
    if fmt == "auto":
        fmt = detect_format(paths)
    if fmt not in IMPORTERS:
        raise GraphImportError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    graph = Graph()
    IMPORTERS[fmt](paths, graph)
    if not graph.services:
        raise GraphImportError("the input holds no service", file=str(paths[0]))
    if window_s is not None:
        graph.window_s = window_s
        graph.window_given = True
    files = ", ".join(p.name for p in paths)
    try:
        document = graph.document(
            name=dns_label(paths[0].stem, "imported"),
            description=f"Imported from {fmt}: {files}",
            rate_rps=rate_rps,
        )
    except GraphImportError as err:
        if err.file is not None:
            raise
        raise GraphImportError(err.message, file=str(paths[0])) from None
    limit_default_load(document, graph)
    deepen(document, graph)
    size_replicas(document, graph, target_utilization)
    return ImportResult(document, graph.warnings)
