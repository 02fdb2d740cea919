"""``--set PATH=VALUE`` overrides of a scenario file (SPEC §15).

An override is applied to the text of the file through the round-trip document
(:class:`~meshsim.files.scenario.RoundTripDocument`), so ``meshsim edit`` writes the
same text the simulating commands run, and a list item may be picked by index or by
name (``services[api].replicas``, ``mesh.policies[payment].timeout``). VALUE is YAML
(``250ms``, ``3``, ``[5xx, reset]``, ``{attempts: 0}``). A path that does not exist, or
a result that is not a valid scenario, is a :class:`~meshsim.errors.ScenarioError`
whose one line names the ``--set`` that caused it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from meshsim.errors import Problem, ScenarioError
from meshsim.files.loader import load_scenario
from meshsim.files.scenario import RoundTripDocument, parse_scenario
from models import Scenario

__all__ = [
    "Override",
    "apply_overrides",
    "edited_text",
    "load_with_sets",
    "parse_override",
    "parse_overrides",
]


@dataclass(frozen=True)
class Override:
    """One ``PATH=VALUE``: the field path as written and the value as plain data."""

    path: str
    value: Any
    text: str = ""

    def __str__(self) -> str:
        return f"--set {self.path}={self.text}"


def parse_override(text: str) -> Override:
    """Split ``PATH=VALUE`` and read VALUE as YAML.

    Examples
    --------
    >>> parse_override("services[api].replicas=3")
    Override(path='services[api].replicas', value=3, text='3')
    >>> parse_override("mesh.defaults.retries.retryOn=[5xx, reset]").value
    ['5xx', 'reset']
    """
    path, sep, raw = text.partition("=")
    path = path.strip()
    if not sep or not path:
        raise ValueError(f"{text!r}: expected PATH=VALUE (e.g. services[api].replicas=3)")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError as err:
        raise ValueError(f"{path}: the value {raw!r} is not YAML ({err.problem})") from err
    return Override(path, value, raw.strip())


def parse_overrides(items: Iterable[str], file: str) -> list[Override]:
    """``--set PATH=VALUE`` options (strings) as overrides.

    A malformed one is a :class:`ScenarioError` of ``file`` naming it.
    """
    overrides = []
    for item in items:
        try:
            overrides.append(parse_override(item))
        except ValueError as err:
            raise ScenarioError(file, [Problem("", f"--set {err}")]) from err
    return overrides


def edited_text(text: str, file: str, overrides: Iterable[Override]) -> str:
    """The file's text with every override applied; nothing else changes.

    Raises
    ------
    ScenarioError
        A path that names no field (one line naming the ``--set``).
    """
    overrides = list(overrides)
    if not overrides:
        return text
    try:
        doc = RoundTripDocument(text)
    except ValueError as err:
        raise ScenarioError(file, [Problem("", str(err))]) from err
    for override in overrides:
        try:
            doc.set(override.path, override.value)
        except ValueError as err:
            raise ScenarioError(file, [Problem("", f"{override}: {err}")]) from err
    return doc.dump()


def apply_overrides(text: str, file: str, overrides: Sequence[Override]) -> Scenario:
    r"""Validate the file's text after the overrides.

    Raises
    ------
    ScenarioError
        When the result is not a valid scenario: one line per problem, each naming
        the ``--set`` options given and saying why.

    Examples
    --------
    >>> text = "services: [{name: api}]\nentrypoints: [{name: w, service: api, rate: 5}]\n"
    >>> s = apply_overrides(text, "s.yaml", [parse_override("services[api].replicas=4")])
    >>> s.services[0].replicas
    4
    >>> apply_overrides(text, "s.yaml", [parse_override("services[api].replicas=0")])
    Traceback (most recent call last):
    ...
    meshsim.errors.ScenarioError: s.yaml: --set services[api].replicas=0: services[0].replicas: ...
    """
    new_text = edited_text(text, file, overrides)
    try:
        return parse_scenario(new_text, file)
    except ScenarioError as err:
        if not overrides:
            raise
        named = ", ".join(str(o) for o in overrides)
        problems = [
            Problem("", f"{named}: {p.path}: {p.message}" if p.path else f"{named}: {p.message}")
            for p in err.problems
        ]
        raise ScenarioError(file, problems) from err


def load_with_sets(path: str | Path, sets: Sequence[str] | None = None) -> Scenario:
    """Load a scenario file, with ``--set PATH=VALUE`` options (strings) applied.

    Without overrides this is :func:`~meshsim.files.loader.load_scenario`, so errors
    keep the file's own lines and columns.
    """
    if not sets:
        return load_scenario(path)
    file = str(path)
    return apply_overrides(read_text(path), file, parse_overrides(sets, file))


def read_text(path: str | Path) -> str:
    """The file's text (UTF-8), or a :class:`ScenarioError` saying why it cannot be read."""
    name = str(path)
    try:
        return Path(path).read_bytes().decode("utf-8-sig")
    except OSError as err:
        raise ScenarioError(name, [Problem("", f"cannot read file: {err.strerror}")]) from err
    except UnicodeDecodeError as err:
        raise ScenarioError(name, [Problem("", f"not UTF-8 text (byte {err.start})")]) from err
