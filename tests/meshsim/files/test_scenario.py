"""The one scenario writer: new scenarios in full, edits changing only their own lines."""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path

import pytest

from meshsim.files import scenario as scenario_io
from meshsim.files.scenario import (
    RoundTripDocument,
    dump_scenario,
    load_scenario,
    parse_scenario,
    save_scenario,
    to_wire,
    update_text,
)
from models import Scenario
from tests.conftest import SAMPLES

RETRY_STORM = SAMPLES / "retry-storm.yaml"


def _changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def _comments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.lstrip().startswith("#")]


def test_one_edited_field_changes_exactly_its_line_and_keeps_every_comment(tmp_path):
    original = RETRY_STORM.read_text(encoding="utf-8")
    wire = to_wire(parse_scenario(original))
    assert wire["mesh"]["defaults"]["retries"]["attempts"] == 2
    wire["mesh"]["defaults"]["retries"]["attempts"] = 3
    copy = tmp_path / "retry-storm.yaml"
    saved = save_scenario(copy, Scenario.model_validate(wire), original)
    text = copy.read_text(encoding="utf-8")
    assert saved.written and saved.text == text
    assert _comments(text) == _comments(original)
    assert len(_comments(original)) >= 70
    assert _changed_lines(original, text) == ["-      attempts: 2", "+      attempts: 3"]
    assert load_scenario(copy).mesh.defaults.retries.attempts == 3


def test_setting_one_field_by_path_changes_exactly_that_line():
    original = RETRY_STORM.read_text(encoding="utf-8")
    document = RoundTripDocument(original)
    assert document.get("rollout.phases[cure].policies[inventory].retries.attempts") == 2
    document.set("rollout.phases[1].policies[inventory].retries.attempts", 1)
    document.set("services[api].replicas", 5)
    text = document.dump()
    assert _changed_lines(original, text) == [
        "-    replicas: 2",
        "+    replicas: 5",
        "-            attempts: 2",
        "+            attempts: 1",
    ]
    scenario = parse_scenario(text)
    assert scenario.rollout.phases[1].policies[2].retries.attempts == 1
    assert [s.replicas for s in scenario.services][:2] == [2, 5]


def test_bad_field_paths_name_the_path():
    document = RoundTripDocument(RETRY_STORM.read_text(encoding="utf-8"))
    with pytest.raises(ValueError, match=r"services\[nope\]\.replicas: no item named 'nope'"):
        document.set("services[nope].replicas", 3)
    with pytest.raises(ValueError, match="index 9 is out of range"):
        document.set("faults[9].duration", "1s")
    with pytest.raises(ValueError, match="not a field path"):
        document.set("services..replicas", 3)


def test_unchanged_save_writes_nothing(tmp_path):
    copy = tmp_path / "retry-storm.yaml"
    copy.write_bytes(RETRY_STORM.read_bytes())
    os.utime(copy, ns=(1_000_000_000, 1_000_000_000))
    original = copy.read_text(encoding="utf-8")
    saved = save_scenario(copy, load_scenario(copy), original)
    assert not saved.written
    assert saved.text == original
    assert copy.stat().st_mtime_ns == 1_000_000_000
    assert copy.read_bytes() == RETRY_STORM.read_bytes()
    assert update_text(original, parse_scenario(original)) is original


def test_added_and_removed_list_items_touch_only_their_lines():
    original = RETRY_STORM.read_text(encoding="utf-8")
    wire = to_wire(parse_scenario(original))
    wire["services"].insert(1, {"name": "cache", "replicas": 2})
    del wire["entrypoints"][0]["client"]
    text = update_text(original, Scenario.model_validate(wire))
    changed = _changed_lines(original, text)
    assert changed == ["+  - name: cache", "+    replicas: 2", "-    client: external"]
    assert _comments(text) == _comments(original)


def test_a_failed_write_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    copy = tmp_path / "retry-storm.yaml"
    copy.write_bytes(RETRY_STORM.read_bytes())
    original = copy.read_text(encoding="utf-8")
    wire = to_wire(parse_scenario(original))
    wire["services"][0]["replicas"] = 9

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space left"):
        save_scenario(copy, Scenario.model_validate(wire), original)
    assert copy.read_text(encoding="utf-8") == original
    assert [p.name for p in tmp_path.iterdir()] == ["retry-storm.yaml"]


def test_new_files_are_readable_by_others_and_keep_the_mode_they_had(tmp_path):
    old = os.umask(0o022)
    try:
        scenario = load_scenario(RETRY_STORM)
        fresh = tmp_path / "new.yaml"
        save_scenario(fresh, scenario)
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
        fresh.chmod(0o600)
        save_scenario(fresh, scenario.model_copy(update={"services": scenario.services[:1]}))
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    finally:
        os.umask(old)


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_dump_of_every_sample_reads_back_to_the_same_scenario(sample: Path):
    scenario = load_scenario(sample)
    text = dump_scenario(scenario)
    assert parse_scenario(text) == scenario
    assert to_wire(parse_scenario(text)) == to_wire(scenario)


def test_durations_and_yaml_1_1_lookalikes_round_trip_exactly():
    wire = {
        "metadata": {"name": "on", "description": "1_000"},
        "services": [
            {"name": "no", "serviceTime": "0.8ms"},
            {"name": "yes", "serviceTime": "1.1s"},
            {"name": "off", "serviceTime": "100us"},
        ],
        "entrypoints": [{"name": "null", "service": "no", "rate": 1e-05}],
    }
    scenario = Scenario.model_validate(wire)
    text = dump_scenario(scenario)
    again = parse_scenario(text)
    assert again == scenario
    assert again.metadata.name == "on"
    assert again.metadata.description == "1_000"
    assert [s.name for s in again.services] == ["no", "yes", "off"]
    assert [s.service_time.value for s in again.services] == [0.0008, 1.1, 0.0001]
    assert again.entrypoints[0].rate == 1e-05
    # the same through an in-place edit of a text that did not have these values
    base = dump_scenario(Scenario.model_validate({**wire, "metadata": {"name": "x"}}))
    assert parse_scenario(update_text(base, scenario)) == scenario


def test_every_scenario_writer_is_this_module():
    """No other module of meshsim or the app writes scenario YAML on its own."""
    root = Path(scenario_io.__file__).resolve().parents[2]
    offenders = []
    for path in [*root.joinpath("meshsim").rglob("*.py"), *root.joinpath("ui").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        if path.name in ("scenario.py", "atomic.py") and path.parent.name == "files":
            continue
        for needle in ("safe_dump(result.document", "def to_yaml", "def _write_atomically",
                       "def write_atomic"):  # fmt: skip
            if needle in text:
                offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []


def test_deleting_an_item_keeps_the_comments_that_introduce_what_follows():
    original = RETRY_STORM.read_text(encoding="utf-8")
    wire = to_wire(parse_scenario(original))
    wire["rollout"]["phases"].pop()  # "cure", the last phase, before "# Alternative cures"
    text = update_text(original, Scenario.model_validate(wire))
    removed = [line[1:] for line in _changed_lines(original, text) if line.startswith("-")]
    assert not [line for line in _changed_lines(original, text) if line.startswith("+")]
    assert "    - name: cure" in removed
    assert (
        "# Alternative cures to compare with `meshsim compare` (each as its own two-phase plan)."
        in text
    )
    kept = set(_comments(text))
    lost = [line for line in _comments(original) if line not in kept]
    assert lost and all(line in removed for line in lost)  # only the cure phase's own comments
    assert parse_scenario(text).rollout.phases[-1].name == "mesh-all"
