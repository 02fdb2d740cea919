"""`--set` and `meshsim edit` (SPEC §15): exact texts and exit codes."""

from __future__ import annotations

import json

import pytest

from meshsim.cli import main
from meshsim.errors import ScenarioError
from meshsim.files.overrides import apply_overrides, load_with_sets, parse_override
from tests.conftest import SAMPLES

TEXT = """\
# a shop
services:
  - name: api   # the API
    replicas: 2
    calls:
      - to: db
  - name: db
    serviceTime: 2ms
entrypoints:
  - {name: web, service: api, rate: 10/s}
mesh:
  policies:
    - host: db
      timeout: 1s  # keep
faults:
  - {service: db, type: outage, start: 1s, duration: 1s}
simulation: {duration: 3s, warmup: 0s, replications: 1}
"""


@pytest.fixture
def shop(tmp_path):
    path = tmp_path / "shop.yaml"
    path.write_text(TEXT)
    return path


def test_parse_override_reads_yaml_values():
    assert parse_override("a.b=250ms").value == "250ms"
    assert parse_override("a.b={attempts: 0}").value == {"attempts": 0}
    assert parse_override("a.b=none").value == "none"
    with pytest.raises(ValueError, match="PATH=VALUE"):
        parse_override("no-equals-sign")


@pytest.mark.parametrize(
    ("path", "value", "check"),
    [
        ("services[api].replicas", "5", lambda s: s.services[0].replicas == 5),
        ("entrypoints[web].rate", "30/s", lambda s: s.entrypoints[0].rate == 30.0),
        ("mesh.policies[db].timeout", "250ms", lambda s: s.mesh.policies[0].timeout == 0.25),
        ("faults[0].duration", "2s", lambda s: s.faults[0].duration == 2.0),
        ("mesh.defaults.retries.attempts", "0", lambda s: s.mesh.defaults.retries.attempts == 0),
    ],
)
def test_set_paths_of_the_spec(shop, path, value, check):
    assert check(load_with_sets(shop, [f"{path}={value}"]))


def test_invalid_result_names_the_set(shop):
    with pytest.raises(ScenarioError) as err:
        load_with_sets(shop, ["services[api].replicas=0"])
    assert err.value.lines() == [
        f"{shop}: --set services[api].replicas=0: services[0].replicas: must be at least 1 (got 0)"
    ]


def test_unknown_item_names_the_set(shop):
    with pytest.raises(ScenarioError) as err:
        load_with_sets(shop, ["services[cart].replicas=2"])
    assert err.value.lines() == [
        f"{shop}: --set services[cart].replicas=2: services[cart].replicas: no item named 'cart'"
    ]


def test_edit_changes_only_the_field(shop, tmp_path, capsys):
    out = tmp_path / "out.yaml"
    assert main(["edit", str(shop), "--set", "services[api].replicas=3", "-o", str(out)]) == 0
    assert out.read_text() == TEXT.replace("replicas: 2", "replicas: 3")
    assert shop.read_text() == TEXT


def test_edit_in_place_and_stdout(shop, capsys):
    assert main(["edit", str(shop), "--set", "mesh.policies[db].timeout=2s"]) == 0
    assert capsys.readouterr().out == TEXT.replace("timeout: 1s", "timeout: 2s")
    assert main(["edit", str(shop), "--set", "faults[0].duration=5s", "--in-place"]) == 0
    assert shop.read_text() == TEXT.replace("duration: 1s}", "duration: 5s}")


def test_edit_invalid_result_exits_2_and_writes_nothing(shop, tmp_path, capsys):
    out = tmp_path / "out.yaml"
    code = main(["edit", str(shop), "--set", "entrypoints[web].rate=-1", "-o", str(out)])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--set entrypoints[web].rate=-1: entrypoints[0].rate" in err[0]
    assert not out.exists()


def test_run_takes_set(shop, capsys):
    args = ["run", str(shop), "--json", "-", "--quiet", "--executor", "serial"]
    assert main([*args, "--set", "services[db].errorRate=1"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["phases"][0]["entrypoints"]["web"]["successRate"] == 0.0
    assert main([*args, "--set", "services[db].replicas=0"]) == 2


def test_sample_keeps_its_comments():
    text = (SAMPLES / "retry-storm.yaml").read_text()
    s = apply_overrides(text, "rs.yaml", [parse_override("mesh.defaults.retries.attempts=3")])
    assert s.mesh.defaults.retries.attempts == 3


def test_a_policy_for_a_host_without_one_is_added_as_docs_tuning_shows(tmp_path, capsys):
    # an imported scenario has no mesh.policies at all (a new user's first tuning try)
    path = tmp_path / "imported.yaml"
    path.write_text(
        "services:\n  - name: api\n    calls:\n      - to: db\n  - name: db\n"
        "entrypoints:\n  - {name: web, service: api, rate: 10/s}\n"
    )
    sets = ["mesh.policies[db].timeout=3s", "mesh.policies[db].retries.attempts=1"]
    args = ["edit", str(path)] + [a for s in sets for a in ("--set", s)]
    assert main([*args, "--set", "mesh.policies[api].timeout=1s"]) == 0
    out = capsys.readouterr().out
    assert out.endswith(
        "mesh:\n  policies:\n    - host: db\n      timeout: 3s\n      retries:\n"
        "        attempts: 1\n    - host: api\n      timeout: 1s\n"
    )
    policies = load_with_sets(path, [*sets]).mesh.policies
    assert [(p.host, p.timeout) for p in policies] == [("db", 3.0)]
    assert policies[0].retries.attempts == 1


def test_a_missing_item_of_another_list_is_still_an_error(shop, capsys):
    assert main(["edit", str(shop), "--set", "services[zz].replicas=3"]) == 2
    assert "services[zz].replicas: no item named 'zz'" in capsys.readouterr().err
