"""Paths and scenario copies shared by the GUI tests."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SAMPLES = sorted((REPO / "samples").glob("*.yaml"))
DATA = REPO / "tests" / "data"


def short_copy(source: Path, target_dir: Path, **simulation) -> Path:
    """``source`` with a short simulation (2 s, one replication) unless told otherwise."""
    data = yaml.safe_load(source.read_text())
    data.setdefault("simulation", {}).update(
        {"duration": "2s", "warmup": "0.5s", "replications": 1, **simulation}
    )
    target = target_dir / source.name
    target.write_text(yaml.safe_dump(data, sort_keys=False))
    return target
