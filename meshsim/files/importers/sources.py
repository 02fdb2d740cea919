"""Reading input files: text, JSON and YAML, with every failure as a GraphImportError.

A :class:`Source` names the file (and line) being read, so importers can check
the shape of what they read in one call and report ``FILE:LINE: message``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, NoReturn

import yaml

from meshsim.errors import GraphImportError

__all__ = ["Source", "parse_json", "parse_structured", "parse_yaml_documents", "read_text"]

_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class Source:
    """Where a value was read: a file and, when known, a 1-based line.

    Parameters
    ----------
    file : str
        The file name as the user gave it.
    line : int, optional
        The line of the value being read.
    """

    file: str
    line: int | None = None

    def at(self, line: int | None) -> Source:
        """The same file at another line."""
        return replace(self, line=line)

    def fail(self, message: str) -> NoReturn:
        """Raise a :class:`GraphImportError` at this place."""
        raise GraphImportError(message, file=self.file, line=self.line)

    def where(self) -> str:
        """``FILE:LINE`` or ``FILE``, to prefix warnings."""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def mapping(self, value: Any, what: str) -> dict[str, Any]:
        """Check that ``value`` is a mapping."""
        if not isinstance(value, dict):
            self.fail(f"{what} must be a mapping, got {_kind(value)}")
        return value

    def sequence(self, value: Any, what: str) -> list[Any]:
        """Check that ``value`` is a list."""
        if not isinstance(value, list):
            self.fail(f"{what} must be a list, got {_kind(value)}")
        return value

    def text(self, value: Any, what: str) -> str:
        """Check that ``value`` is a non-empty string (numbers are accepted as text)."""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{what} must be a non-empty string, got {_kind(value)}")
        return value.strip()

    def number(self, value: Any, what: str) -> float:
        """Check that ``value`` is a finite number >= 0 (numeric strings are accepted)."""
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                self.fail(f"{what} must be a number, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(f"{what} must be a number, got {_kind(value)}")
        number = float(value)
        if not math.isfinite(number) or number < 0:
            self.fail(f"{what} must be a finite number >= 0, got {value!r}")
        return number


def _kind(value: Any) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "nothing"
    if isinstance(value, str) and not value.strip():
        return "an empty string"
    return names.get(type(value), f"a {type(value).__name__}")


def read_text(path: Path) -> str:
    """Read a UTF-8 text file.

    Raises
    ------
    GraphImportError
        When the file cannot be read, is empty, or is not UTF-8 text.
    """
    name = str(path)
    try:
        if path.stat().st_size > _MAX_BYTES:
            raise GraphImportError(f"file is larger than {_MAX_BYTES >> 20} MiB", file=name)
        raw = path.read_bytes()
    except OSError as err:
        raise GraphImportError(f"cannot read file: {err.strerror or err}", file=name) from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise GraphImportError(f"not UTF-8 text (byte {err.start})", file=name) from err
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise GraphImportError("binary data, not text (NUL character)", file=name, line=line)
    if not text.strip():
        raise GraphImportError("file is empty", file=name)
    return text


def parse_json(text: str, file: str) -> Any:
    """Parse JSON text, reporting the line of a syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise GraphImportError(f"invalid JSON: {err.msg}", file=file, line=err.lineno) from err
    except (RecursionError, ValueError) as err:
        raise GraphImportError(f"invalid JSON: {err}", file=file) from err


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader (libyaml's when there is one) that leaves timestamps as strings."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_yaml_documents(text: str, file: str) -> list[tuple[int, Any]]:
    """Parse a YAML stream into ``(line, document)`` pairs (line is 1-based).

    Raises
    ------
    GraphImportError
        On a syntax error, with its line.
    """
    documents: list[tuple[int, Any]] = []
    loader = None
    try:
        loader = _Loader(text)
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                documents.append((node.start_mark.line + 1, loader.construct_document(node)))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = err.problem or err.context or "syntax error"
        raise GraphImportError(f"invalid YAML: {problem}", file=file, line=line) from err
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        raise GraphImportError(
            f"invalid YAML: {err.reason} ({err.character!r})", file=file, line=line
        ) from err
    except (yaml.YAMLError, RecursionError, ValueError, TypeError, OverflowError) as err:
        raise GraphImportError(f"invalid YAML: {err}", file=file) from err
    finally:
        if loader is not None:
            loader.dispose()
    return documents


def parse_structured(text: str, file: str) -> Any:
    """Parse a single JSON or YAML document (JSON when the text starts with ``{`` or ``[``)."""
    if text.lstrip()[:1] in ("{", "["):
        try:
            return parse_json(text, file)
        except GraphImportError as json_error:
            try:
                documents = parse_yaml_documents(text, file)
            except GraphImportError:
                raise json_error from None
    else:
        documents = parse_yaml_documents(text, file)
    if not documents:
        raise GraphImportError("file holds no document", file=file)
    if len(documents) > 1:
        raise GraphImportError(
            "expected one document, found several ('---')", file=file, line=documents[1][0]
        )
    return documents[0][1]
