"""The suite is self-contained: its real-world files live in tests/data with their origins."""

from __future__ import annotations

import fnmatch
import re

from tests.conftest import ROOT, TEST_DATA


def _listed_patterns() -> list[str]:
    text = (TEST_DATA / "SOURCES.md").read_text(encoding="utf-8")
    patterns = []
    for cell in re.findall(r"^\| ([^|]+?) \|", text, flags=re.MULTILINE):
        for part in cell.split(", "):
            part = part.strip()
            if "{" in part:  # online-boutique.{dot,graphml}
                stem, alts = part.split("{")
                patterns += [stem + alt for alt in alts.rstrip("}").split(",")]
            else:
                patterns.append(part)
    return patterns


def test_test_data_is_inside_the_repository():
    assert TEST_DATA.is_relative_to(ROOT)
    assert TEST_DATA.is_dir()


def test_every_test_data_file_has_its_origin_in_sources_md():
    patterns = _listed_patterns()
    files = [p for p in TEST_DATA.rglob("*") if p.is_file() and p.name != "SOURCES.md"]
    assert files
    for path in files:
        rel = path.relative_to(TEST_DATA).as_posix()
        folder = rel.rsplit("/", 1)[0]
        assert any(
            fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, f"{folder}/{pattern}")
            for pattern in patterns
        ), f"{rel} has no row in tests/data/SOURCES.md"


def test_test_data_stays_small():
    size = sum(p.stat().st_size for p in TEST_DATA.rglob("*") if p.is_file())
    assert size < 300_000, f"tests/data is {size} bytes: keep only the files tests read"
