"""The exception tree of meshsim.

Every error meshsim raises on purpose derives from :class:`MeshSimError`, so the
CLI and the UI can tell a known problem (one clear line) from a bug (traceback).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GraphImportError",
    "MeshSimError",
    "Problem",
    "ScenarioError",
    "SimulationCancelled",
    "SimulationError",
]


class MeshSimError(Exception):
    """Base class of every error meshsim raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a scenario file.

    Parameters
    ----------
    path : str
        Field path in the document, e.g. ``services[2].replicas`` (empty for the file).
    message : str
        What is wrong, quoting the bad value.
    line, column : int or None
        1-based position of the offending YAML/JSON node, when known.
    """

    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def format(self, file: str) -> str:
        """Render as ``FILE:LINE:COL: PATH: MESSAGE``."""
        where = file
        if self.line is not None:
            where += f":{self.line}:{self.column or 1}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(MeshSimError):
    """A scenario document is invalid.

    Parameters
    ----------
    file : str
        The file name as the user gave it (``<string>`` for text).
    problems : list of Problem
        Every problem found, in document order.
    """

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = list(problems)
        super().__init__("\n".join(p.format(file) for p in self.problems))

    @property
    def line(self) -> int | None:
        """Line of the first problem."""
        return self.problems[0].line if self.problems else None

    @property
    def column(self) -> int | None:
        """Column of the first problem."""
        return self.problems[0].column if self.problems else None

    @property
    def field_path(self) -> str:
        """Field path of the first problem."""
        return self.problems[0].path if self.problems else ""

    def lines(self) -> list[str]:
        """One ``FILE:LINE:COL: PATH: MESSAGE`` line per problem."""
        return [p.format(self.file) for p in self.problems]


class GraphImportError(MeshSimError):
    """An importer could not read its input.

    Parameters
    ----------
    message : str
        What is wrong.
    file, line : optional
        Where; ``str()`` renders ``FILE:LINE: message`` or ``FILE: message``.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.file is None:
            return self.message
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


class SimulationError(MeshSimError):
    """The simulation could not run (e.g. a name given on the command line is unknown)."""


class SimulationCancelled(MeshSimError):  # noqa: N818 - SPEC/STYLE name
    """A run was stopped through its ``should_stop`` callback."""
