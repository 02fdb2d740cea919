"""``export istio`` writes AuthorizationPolicy objects with the CRD's field names (SPEC §20)."""

from __future__ import annotations

import yaml

from meshsim.files.istio import export_istio
from models import Scenario

# field names of security.istio.io/v1 AuthorizationPolicy (istio/api
# security/v1/authorization_policy.proto, as the CRD's openAPIV3Schema publishes them)
SPEC_KEYS = {"selector", "targetRef", "targetRefs", "rules", "action", "provider"}
RULE_KEYS = {"from", "to", "when"}
SOURCE_KEYS = {
    "principals",
    "notPrincipals",
    "requestPrincipals",
    "notRequestPrincipals",
    "namespaces",
    "notNamespaces",
    "ipBlocks",
    "notIpBlocks",
    "remoteIpBlocks",
    "notRemoteIpBlocks",
}
ACTIONS = {"ALLOW", "DENY", "AUDIT", "CUSTOM"}

DOC = {
    "services": [
        {"name": "front", "namespace": "web", "calls": [{"to": "pay"}, {"to": "cart"}]},
        {"name": "pay", "namespace": "shop"},
        {"name": "cart", "namespace": "shop"},
    ],
    "entrypoints": [{"name": "www", "service": "front", "rate": 1, "client": "gateway"}],
    "rollout": {
        "phases": [
            {"name": "p1", "services": ["front", "pay", "cart"], "gateway": True},
            {
                "name": "p2",
                "authz": [
                    {"service": "pay", "allow": ["front"]},
                    {"service": "front", "allow": ["@gateway"]},
                    {"service": "cart", "allow": []},
                    {"scope": "mesh", "default": "deny"},
                ],
            },
        ]
    },
}


def policies(phase: str) -> list[dict]:
    files = export_istio(Scenario.model_validate(DOC), phase)
    text = files.get("45-authorization-policies.yaml", "")
    return [d for d in yaml.safe_load_all(text) if d is not None]


def check_schema(doc: dict) -> None:
    assert doc["apiVersion"] == "security.istio.io/v1"
    assert doc["kind"] == "AuthorizationPolicy"
    spec = doc["spec"]
    assert set(spec) <= SPEC_KEYS
    if "action" in spec:
        assert spec["action"] in ACTIONS
    if "selector" in spec:
        assert set(spec["selector"]) == {"matchLabels"}
    for rule in spec.get("rules", []):
        assert set(rule) <= RULE_KEYS
        for item in rule.get("from", []):
            assert set(item) == {"source"}
            assert set(item["source"]) <= SOURCE_KEYS


def test_no_policy_before_the_phase_that_adds_it() -> None:
    assert policies("p1") == []


def test_allow_lists_become_allow_policies_with_principals() -> None:
    docs = policies("p2")
    for doc in docs:
        check_schema(doc)
    by_name = {(d["metadata"]["namespace"], d["metadata"]["name"]): d["spec"] for d in docs}
    assert by_name[("istio-system", "allow-nothing")] == {}
    assert by_name[("shop", "pay-allow")] == {
        "selector": {"matchLabels": {"app": "pay"}},
        "action": "ALLOW",
        "rules": [{"from": [{"source": {"principals": ["cluster.local/ns/web/sa/front"]}}]}],
    }
    assert by_name[("web", "front-allow")]["rules"][0]["from"][0]["source"]["principals"] == [
        "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account"
    ]
    # an empty allow list: an ALLOW policy without rules matches nothing, so denies all
    assert by_name[("shop", "cart-allow")] == {
        "selector": {"matchLabels": {"app": "cart"}},
        "action": "ALLOW",
    }
