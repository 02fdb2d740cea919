"""Lines and columns of a scenario file's fields, by field path (for ``meshsim lint``).

The positions are the loader's own (the same the validation errors carry). A field
that is not written in the file (a default) is placed at its nearest written
ancestor: the place where it would be added.
"""

from __future__ import annotations

from meshsim.files.loader import _read_tree

__all__ = ["FieldPositions"]

Loc = tuple[str | int, ...]


class FieldPositions:
    r"""Look up the 1-based (line, column) of a field path in a scenario text.

    Examples
    --------
    >>> text = "services:\n  - name: a\n    replicas: 2\nentrypoints: []\n"
    >>> where = FieldPositions(text, "s.yaml")
    >>> where.of(("services", 0, "replicas"))
    (3, 5)
    >>> where.of(("services", 0, "concurrency"))  # not written: at its service
    (2, 5)
    """

    def __init__(self, text: str, file: str) -> None:
        _data, marks = _read_tree(text, file)
        self._keys = marks.keys
        self._values = marks.values

    def of(self, loc: Loc) -> tuple[int, int]:
        """Where the field's key is written, or its nearest written ancestor."""
        probe = tuple(loc)
        while probe:
            position = self._keys.get(probe) or self._values.get(probe)
            if position is not None:
                return position
            probe = probe[:-1]
        return 1, 1
