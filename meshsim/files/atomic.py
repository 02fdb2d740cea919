"""Write a file so that it is either complete or untouched, with ordinary permissions."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

__all__ = ["write_text_atomically"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomically(path: str | Path, text: str) -> None:
    r"""Write ``text`` (UTF-8) to a temporary file beside ``path``, then rename it over ``path``.

    A crash or a full disk leaves either the old file or the new one, never half of
    it. The new file keeps the permissions of the file it replaces; a new file gets
    the usual ``0666`` less the umask (``0644`` normally), not the ``0600`` of a
    temporary file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.yaml"
    >>> write_text_atomically(target, "x: 1\n")
    >>> target.read_text()
    'x: 1\n'
    """
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
