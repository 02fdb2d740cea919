"""Edits of a scenario's wire data (plain dicts): phases, services, calls, renames.

Every function changes ``data`` in place; :meth:`ScenarioDocument.edit` validates the
result, so an edit that breaks a rule is refused with the field it broke.
"""

from __future__ import annotations

from typing import Any

from models import Scenario, phase_services

Wire = dict[str, Any]


def phases(data: Wire) -> list[Wire]:
    """The ``rollout.phases`` list of ``data``, created when missing."""
    return data.setdefault("rollout", {}).setdefault("phases", [])


def joining_phase(scenario: Scenario) -> dict[str, int]:
    """The 1-based phase in which each service joins the mesh (absent: never)."""
    out: dict[str, int] = {}
    for index, phase in enumerate(scenario.rollout.phases, start=1):
        for name in phase_services(phase, scenario.services):
            out.setdefault(name, index)
    return out


def _expand_namespaces(data: Wire, scenario: Scenario, index: int) -> None:
    """Turn phase ``index``'s ``namespaces`` shorthand into explicit service names."""
    phase = phases(data)[index]
    if not phase.get("namespaces"):
        return
    model = scenario.rollout.phases[index]
    phase["services"] = phase_services(model, scenario.services)
    phase.pop("namespaces")


def move_service(data: Wire, scenario: Scenario, service: str, target: int | None) -> None:
    """Mesh ``service`` in 1-based phase ``target`` (None: in no phase)."""
    for index, phase in enumerate(phases(data)):
        if service in phase_services(scenario.rollout.phases[index], scenario.services):
            _expand_namespaces(data, scenario, index)
            phase["services"] = [s for s in phase.get("services", []) if s != service]
    if target is not None:
        phases(data)[target - 1].setdefault("services", []).append(service)


def add_phase(data: Wire, name: str | None = None) -> str:
    """Append an empty phase; returns its name."""
    taken = {p["name"] for p in phases(data)}
    if name is None:
        number = len(taken) + 1
        while f"phase-{number}" in taken:
            number += 1
        name = f"phase-{number}"
    phases(data).append({"name": name, "services": []})
    return name


def rename_phase(data: Wire, index: int, name: str) -> None:
    """Rename 0-based phase ``index``."""
    phases(data)[index]["name"] = name


def move_phase(data: Wire, index: int, delta: int) -> None:
    """Move 0-based phase ``index`` by ``delta`` places (clamped)."""
    items = phases(data)
    target = max(0, min(len(items) - 1, index + delta))
    items.insert(target, items.pop(index))


def remove_phase(data: Wire, index: int) -> None:
    """Remove 0-based phase ``index``; its services are meshed in no phase."""
    phases(data).pop(index)


def set_phase_mtls(data: Wire, index: int, rules: list[Wire]) -> None:
    """Replace the PeerAuthentication changes of 0-based phase ``index``."""
    phase = phases(data)[index]
    if rules:
        phase["mtls"] = rules
    else:
        phase.pop("mtls", None)


def set_phase_canary(data: Wire, index: int, shares: dict[str, float]) -> None:
    """Replace the canary shares of 0-based phase ``index`` (empty: drop the key)."""
    phase = phases(data)[index]
    if shares:
        phase["canary"] = dict(shares)
    else:
        phase.pop("canary", None)


def set_phase_authz(data: Wire, index: int, rules: list[Wire]) -> None:
    """Replace the AuthorizationPolicy changes of 0-based phase ``index`` (empty: drop)."""
    phase = phases(data)[index]
    if rules:
        phase["authz"] = [dict(r) for r in rules]
    else:
        phase.pop("authz", None)


def add_service(data: Wire, name: str) -> None:
    """Append a service with default settings."""
    data["services"].append({"name": name})


def remove_service(data: Wire, name: str) -> None:
    """Remove a service and everything that names it (calls, phases, policies, faults)."""
    data["services"] = [s for s in data["services"] if s["name"] != name]
    for service in data["services"]:
        service["calls"] = _calls_without(service.get("calls", []), name)
        if not service["calls"]:
            service.pop("calls")
    data["entrypoints"] = [e for e in data["entrypoints"] if e["service"] != name]
    for phase in _all_phase_lists(data):
        for item in phase:
            for key in ("services", "waypoints"):
                if key in item:
                    item[key] = [s for s in item[key] if s != name]
            if "mtls" in item:
                item["mtls"] = [
                    r for r in item["mtls"] if not (r["scope"] == "service" and r["name"] == name)
                ]
            if "policies" in item:
                item["policies"] = [p for p in item["policies"] if p["host"] != name]
            _drop_from_beyond(item, name)
    mesh = data.get("mesh", {})
    if "policies" in mesh:
        mesh["policies"] = [p for p in mesh["policies"] if p["host"] != name]
    if "faults" in data:
        data["faults"] = [f for f in data["faults"] if f["service"] != name]


def _drop_from_beyond(phase: Wire, name: str) -> None:
    """Remove ``name`` from a phase's canary shares and authorization rules."""
    if name in phase.get("canary", {}):
        phase["canary"] = {k: v for k, v in phase["canary"].items() if k != name}
    if "authz" in phase:
        rules = [r for r in phase["authz"] if r.get("service") != name]
        for rule in rules:
            if "allow" in rule:
                rule["allow"] = [c for c in rule["allow"] if c != name]
        phase["authz"] = rules
    for key in ("canary", "authz"):
        if key in phase and not phase[key]:
            phase.pop(key)


def _calls_without(items: list[Wire], name: str) -> list[Wire]:
    out = []
    for item in items:
        if "parallel" in item:
            kept = [c for c in item["parallel"] if c["to"] != name]
            if kept:
                out.append({**item, "parallel": kept})
        elif item["to"] != name:
            out.append(item)
    return out


def _all_phase_lists(data: Wire) -> list[list[Wire]]:
    lists = [phases(data)]
    lists += [o["phases"] for o in data.get("orderings", []) if o.get("phases")]
    return lists


def rename_service(data: Wire, old: str, new: str) -> None:
    """Rename a service and every reference to it."""

    def swap(value: str) -> str:
        return new if value == old else value

    for service in data["services"]:
        service["name"] = swap(service["name"])
        for item in service.get("calls", []):
            for call in item.get("parallel", [item]):
                call["to"] = swap(call["to"])
    for entry in data["entrypoints"]:
        entry["service"] = swap(entry["service"])
    for phase_list in _all_phase_lists(data):
        for phase in phase_list:
            for key in ("services", "waypoints"):
                if key in phase:
                    phase[key] = [swap(s) for s in phase[key]]
            for rule in phase.get("mtls", []):
                if rule["scope"] == "service":
                    rule["name"] = swap(rule["name"])
            for policy in phase.get("policies", []):
                policy["host"] = swap(policy["host"])
            if "canary" in phase:
                phase["canary"] = {swap(k): v for k, v in phase["canary"].items()}
            for rule in phase.get("authz", []):
                if rule.get("service") is not None:
                    rule["service"] = swap(rule["service"])
                if "allow" in rule:
                    rule["allow"] = [swap(c) for c in rule["allow"]]
    for policy in data.get("mesh", {}).get("policies", []):
        policy["host"] = swap(policy["host"])
    for fault in data.get("faults", []):
        fault["service"] = swap(fault["service"])


def add_call(data: Wire, service: str, to: str) -> None:
    """Append a call from ``service`` to ``to`` at the end of its script."""
    for item in data["services"]:
        if item["name"] == service:
            item.setdefault("calls", []).append({"to": to})


def remove_call(data: Wire, service: str, item: int, sub: int | None) -> None:
    """Remove call ``item`` (or call ``sub`` of parallel group ``item``) of ``service``."""
    for entry in data["services"]:
        if entry["name"] != service:
            continue
        calls = entry["calls"]
        if sub is None:
            calls.pop(item)
        else:
            calls[item]["parallel"].pop(sub)
            if not calls[item]["parallel"]:
                calls.pop(item)
        if not calls:
            entry.pop("calls")


COUNTED = {"attempts", "replicas", "concurrency", "count", "workers", "replications"}
"""Fields whose value reads before the field's name: "→ 3 attempts"."""


def describe_edit(data: Wire, path: tuple, value: Any) -> str:
    """An edit of one field in words, for the undo history.

    >>> data = {"mesh": {"policies": [{"host": "api"}]}}
    >>> describe_edit(data, ("mesh", "policies", 0, "retries", "attempts"), 3)
    'api retries → 3 attempts'
    >>> describe_edit({"services": [{"name": "cart"}]}, ("services", 0, "replicas"), 2)
    'cart → 2 replicas'
    >>> describe_edit({}, ("simulation", "duration"), "60s")
    'simulation duration → 60s'
    """
    subject, rest = _subject(data, path)
    words = [str(p).replace("_", " ") for p in rest if not isinstance(p, int)]
    if value is None or (not isinstance(value, (str, int, float, bool, list, dict))):
        shown = "default"
    elif isinstance(value, bool):
        shown = "on" if value else "off"
    elif isinstance(value, list):
        shown = ", ".join(str(v) for v in value) or "none"
    elif isinstance(value, dict):
        shown = "on" if not value else ", ".join(f"{k} {v}" for k, v in value.items())
    else:
        shown = str(value)
    if words and words[-1] in COUNTED and shown != "default":
        counted = words.pop()
        return " ".join([subject, *words, "→", shown, counted]).strip()
    return " ".join([subject, *words, "→", shown]).strip()


def _subject(data: Wire, path: tuple) -> tuple[str, tuple]:
    """What the edited field belongs to (a service's name...) and the rest of the path."""
    keyed = {
        ("services",): "name",
        ("entrypoints",): "name",
        ("mesh", "policies"): "host",
        ("rollout", "phases"): "name",
        ("faults",): "service",
    }
    for prefix, key in keyed.items():
        n = len(prefix)
        if tuple(path[:n]) == prefix and len(path) > n and isinstance(path[n], int):
            node: Any = data
            for part in path[: n + 1]:
                try:
                    node = node[part]
                except (KeyError, IndexError, TypeError):
                    node = {}
                    break
            name = node.get(key) if isinstance(node, dict) else None
            label = f"phase {name}" if prefix == ("rollout", "phases") else name
            return str(label or prefix[-1]), tuple(path[n + 1 :])
    return str(path[0]) if path else "scenario", tuple(path[1:])


def set_phase_names(data: Wire, index: int, key: str, names: list[str]) -> None:
    """Set the ``namespaces`` or ``waypoints`` list of 0-based phase ``index`` (empty: drop)."""
    phase = phases(data)[index]
    if names:
        phase[key] = list(names)
    else:
        phase.pop(key, None)


def remove_phase_policy(data: Wire, index: int, policy: int) -> None:
    """Remove policy ``policy`` of 0-based phase ``index``."""
    phase = phases(data)[index]
    phase["policies"].pop(policy)
    if not phase["policies"]:
        phase.pop("policies")


FAULT_FIELDS = {
    "outage": (),
    "crash": (),
    "error": ("errorRate",),
    "latency": ("delay", "probability"),
}
"""The fields of a fault that apply to each type only (the others apply to all)."""
FAULT_DEFAULTS: dict[str, Any] = {"errorRate": 0.1, "delay": "100ms"}
"""What a field a type needs starts as when the type is chosen."""


def set_fault_type(data: Wire, index: int, kind: str) -> None:
    """Change fault ``index`` to type ``kind``.

    The fields the type does not take go; those it needs start as ``FAULT_DEFAULTS``.
    """
    fault = data["faults"][index]
    fault["type"] = kind
    for other, keys in FAULT_FIELDS.items():
        if other != kind:
            for key in keys:
                fault.pop(key, None)
    for key in FAULT_FIELDS[kind]:
        if key in FAULT_DEFAULTS:
            fault.setdefault(key, FAULT_DEFAULTS[key])


def add_fault(data: Wire, service: str, start: str, duration: str) -> int:
    """Append an outage of ``service``; returns its index."""
    faults = data.setdefault("faults", [])
    faults.append({"service": service, "type": "outage", "start": start, "duration": duration})
    return len(faults) - 1


def remove_fault(data: Wire, index: int) -> None:
    """Remove fault ``index`` (the list goes when it is empty)."""
    data["faults"].pop(index)
    if not data["faults"]:
        data.pop("faults")
