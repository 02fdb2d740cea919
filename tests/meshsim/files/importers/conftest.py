"""Fixtures of the importer tests: the real-world test data and small helpers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_DATA as DATA


@pytest.fixture(scope="session")
def data() -> Path:
    """``tests/data``: the real test files (see its SOURCES.md); missing is a failure."""
    assert DATA.is_dir(), f"test data not found at {DATA}"
    return DATA


def edges_of(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(caller, callee) pairs of a scenario document's call scripts."""
    out = set()
    for service in document["services"]:
        for item in service.get("calls", []):
            for call in item.get("parallel", [item]):
                out.add((service["name"], call["to"]))
    return out


def calls_of(document: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    """The calls of service ``name`` by callee (parallel groups flattened)."""
    service = next(s for s in document["services"] if s["name"] == name)
    return {
        call["to"]: call
        for item in service.get("calls", [])
        for call in item.get("parallel", [item])
    }


def service_of(document: dict[str, Any], name: str) -> dict[str, Any]:
    """The service called ``name``."""
    return next(s for s in document["services"] if s["name"] == name)
