"""The meshsim version: the installed package's metadata, so it is said once (pyproject.toml)."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["__version__"]


def _version() -> str:
    try:
        return version("meshsim")
    except PackageNotFoundError:
        # a source tree that was never installed: read the version it declares
        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text())["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"


__version__: str = _version()
