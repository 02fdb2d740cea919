from __future__ import annotations

import pytest

from meshsim import ScenarioError, load_scenario, parse_scenario
from meshsim.cli import main

GOOD = """\
services:
  - name: a
    calls:
      - to: b
  - name: b
entrypoints:
  - {name: web, service: a, rate: 5/s}
"""


def lines_of(text, tmp_path, name="s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [line.replace(str(path), name) for line in info.value.lines()]


def test_problem_lines_name_file_line_column_and_path(tmp_path):
    text = GOOD.replace("  - name: b", "  - name: b\n    replicas: 0")
    assert lines_of(text, tmp_path) == [
        "s.yaml:6:15: services[1].replicas: must be at least 1 (got 0)"
    ]


def test_cross_field_problem_points_at_the_field(tmp_path):
    text = GOOD.replace("to: b", "to: nope")
    assert lines_of(text, tmp_path) == [
        "s.yaml:4:13: services[0].calls[0].to: unknown service 'nope'"
    ]


def test_unknown_key_with_suggestion(tmp_path):
    text = GOOD.replace("  - name: b", "  - name: b\n    replica: 2")
    (line,) = lines_of(text, tmp_path)
    assert line.startswith("s.yaml:6:5: services[1].replica: unknown field")
    assert "replicas" in line


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "the file is empty"),
        ("services: [", "YAML syntax error"),
        ("a: !!python/object/apply:os.system ['true']", "is not allowed"),
        ("- 1\n- 2", "expected a scenario mapping"),
        ("services: []\nservices: []", "duplicate key"),
    ],
)
def test_broken_files(tmp_path, text, expected):
    (line,) = lines_of(text, tmp_path)
    assert expected in line


def test_alias_bomb_is_refused(tmp_path):
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 9):
        text += f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n"
    (line,) = lines_of(text, tmp_path)
    assert "too many aliases" in line


def test_json_is_read_with_positions(tmp_path):
    text = '{"services": [{"name": "a", "replicas": -1}],\n "entrypoints": []}'
    got = lines_of(text, tmp_path, "s.json")
    assert got[0].startswith("s.json:1:41: services[0].replicas: must be at least 1")
    assert any("entrypoints" in g for g in got)


def test_parse_scenario_text():
    assert parse_scenario(GOOD).services[1].name == "b"


def test_cli_validate_exit_codes(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert main(["validate", str(good)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("5/s", "fast"))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:7:" in err and "entrypoints[0].rate" in err and "Traceback" not in err
    assert main(["validate", str(tmp_path / "missing.yaml")]) == 2
