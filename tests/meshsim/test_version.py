"""The version is said once, in pyproject.toml, and read from the package metadata."""

from __future__ import annotations

import tomllib
from importlib.metadata import PackageNotFoundError

import pytest

import meshsim
import meshsim.version
from meshsim.cli import main
from tests.conftest import ROOT

DECLARED = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_version_is_the_declared_one(capsys):
    assert meshsim.__version__ == meshsim.version.__version__ == DECLARED
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"meshsim {DECLARED}"


def test_an_uninstalled_source_tree_reads_its_pyproject(monkeypatch):
    def missing(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr(meshsim.version, "version", missing)
    assert meshsim.version._version() == DECLARED
