"""Edge lists in CSV (``csv``): ``caller,callee[,calls]``, one edge per row.

A header row is optional; when present it names the columns (``caller``/``source``/
``from``/``parent``, ``callee``/``target``/``to``/``child``, and any edge attribute
of :mod:`meshsim.files.importers.generic`: ``calls``, ``errors``, ``probability``,
``count``, ``protocol``); other columns are ignored. Without a header the third
column is the observed calls. Blank lines and lines starting with ``#`` are skipped;
a ``.tsv`` file (or a tab-separated header) is split on tabs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from meshsim.files.importers.common import Graph
from meshsim.files.importers.generic import edge_attributes
from meshsim.files.importers.sources import Source, read_text

__all__ = ["load"]

_CALLERS = {"caller", "source", "from", "parent", "client", "src", "upstream"}
_CALLEES = {"callee", "target", "to", "child", "server", "dst", "destination", "downstream"}


def load(paths: Sequence[Path], graph: Graph) -> None:
    """Add the edges of the CSV files in ``paths`` to ``graph``.

    Raises
    ------
    GraphImportError
        On a row without two names or with a bad number, with its line.
    """
    for path in paths:
        source = Source(str(path))
        text = read_text(path)
        first = text.lstrip().split("\n", 1)[0]
        tabs = path.suffix.lower() == ".tsv" or ("\t" in first and "," not in first)
        reader = csv.reader(io.StringIO(text), delimiter="\t" if tabs else ",")
        edges = 0
        columns: list[str] | None = None
        try:
            for row in reader:
                cells = [cell.strip() for cell in row]
                if not any(cells) or cells[0].startswith("#"):
                    continue
                if columns is None:
                    columns = _header(cells)
                    if columns is not None:
                        continue
                    columns = ["caller", "callee", "calls"]
                _row(graph, cells, columns, source.at(reader.line_num))
                edges += 1
        except csv.Error as err:
            source.at(reader.line_num).fail(f"invalid CSV: {err}")
        if not edges:
            source.fail("no edges in the file (expected rows of caller,callee[,calls])")


def _key(cell: str) -> str:
    return cell.lower().replace("_", "").replace("-", "").replace(" ", "")


def _header(cells: list[str]) -> list[str] | None:
    """Column names when ``cells`` is a header row, else None."""
    if len(cells) < 2 or _key(cells[0]) not in _CALLERS or _key(cells[1]) not in _CALLEES:
        return None
    return ["caller", "callee", *cells[2:]]


def _row(graph: Graph, cells: list[str], columns: list[str], source: Source) -> None:
    if len(cells) < 2 or not cells[0] or not cells[1]:
        source.fail("a row needs a caller and a callee")
    attrs = {name: value for name, value in zip(columns[2:], cells[2:], strict=False) if value}
    edge_attributes(graph, cells[0], cells[1], attrs, source)
