"""samples/two-cluster-shop.yaml: runs, compares and exports what SPEC §20 plans."""

from __future__ import annotations

import pytest
import yaml

from meshsim import compare, load_scenario, run_scenario
from meshsim.files.istio import export_istio
from meshsim.rollout.lint import lint
from tests.conftest import SAMPLES
from tests.meshsim.test_samples import short

PATH = SAMPLES / "two-cluster-shop.yaml"


@pytest.fixture(scope="module")
def run():
    return run_scenario(short(PATH, "12s"))


def test_each_step_meshes_the_replicas_it_says(run) -> None:
    proxies = [p.proxies for p in run.phases]
    # canary: ceil(0.25 × 4) = 1 of cart; west: the 7 west replicas + that canary;
    # east-rest: all 18 replicas + the gateway; lock-down adds policy, no proxy
    assert proxies == [0, 1, 8, 19, 19]
    assert [p.proxy_memory_mi_b for p in run.phases] == [0.0, 60.0, 480.0, 1140.0, 1140.0]
    assert run.phases[1].canary == {"cart": 0.25}
    cart = run.phases[1].services["cart"]
    assert (cart.meshed.replicas, cart.plain.replicas) == (1, 3)


def test_cost_is_priced_per_phase(run) -> None:
    for p in run.phases:
        expected = (p.proxy_cpu_cores * 0.04 + p.proxy_memory_mi_b / 1024 * 0.005) * 730
        assert p.proxy_cost_per_month == pytest.approx(expected, rel=1e-12)


def test_least_privilege_step_denies_nothing_and_lint_agrees(run) -> None:
    assert [p.denials for p in run.phases] == [None, None, None, None, 0.0]
    assert [f for f in lint(load_scenario(PATH)) if f.code == "authz-denies-caller"] == []


def test_certificate_drill_fails_only_mtls_calls(run) -> None:
    # payment's certificate expires from 20 s: in this 12 s run it never does ...
    assert all(p.services["payment"].rejected == 0 for p in run.phases)
    drill = run_scenario(short(PATH, "30s"), phase_indexes=[0, 3])
    base, meshed = drill.phases
    # ... in a 30 s run it does: plaintext checkout -> payment (baseline) is unaffected,
    # mTLS checkout -> payment fails with connect-failure during the window
    assert base.services["payment"].rejected == 0
    assert meshed.services["payment"].rejected > 0
    assert meshed.entrypoints["web"].success_rate < base.entrypoints["web"].success_rate == 1.0


def test_sample_compares_with_its_canary_ordering() -> None:
    res = compare(short(PATH, "8s"), strategies=["as-written"])
    names = {o.name for o in res.orderings}
    assert names == {"as-written", "generated-with-canary"}
    generated = next(o for o in res.orderings if o.name == "generated-with-canary")
    assert any(p.get("canary") for p in generated.plan)
    assert generated.plan[-1]["authz"]
    assert all(p.denials in (None, 0.0) for p in generated.phases)


def test_sample_exports_authorization_policies() -> None:
    files = export_istio(load_scenario(PATH))
    docs = [d for d in yaml.safe_load_all(files["45-authorization-policies.yaml"]) if d]
    assert {d["metadata"]["name"] for d in docs} == {
        f"{s}-allow" for s in ("frontend", "catalog", "cart", "redis", "checkout", "payment")
    }
