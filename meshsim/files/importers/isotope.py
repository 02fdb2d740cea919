"""Istio isotope topologies (``isotope``): the fields its converter really reads.

``defaults`` (``type``, ``numReplicas``, ``errorRate``, ``script``) applies to
every service that does not set them; ``services[]`` have ``name``,
``isEntrypoint``, ``numReplicas``, ``type`` (http/grpc), ``errorRate`` (``"0.01%"``
or 0-1) and ``script``. A script step is ``sleep: DURATION``, ``call: NAME`` or
``call: {service, size, probability}`` with ``probability`` in percent (0-100),
or a list of those, run concurrently: a parallel group. Sleeps add up to the
service's own time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from meshsim.files.importers.common import Call, Graph, Item
from meshsim.files.importers.sources import Source, parse_structured, read_text
from meshsim.files.importers.values import format_duration_ms, parse_duration_ms, parse_percent

__all__ = ["load"]

_PROTOCOLS = {"http": "http", "grpc": "grpc"}


def load(paths: Sequence[Path], graph: Graph) -> None:
    """Add the services of the isotope topologies in ``paths`` to ``graph``.

    Raises
    ------
    GraphImportError
        When a file is not an isotope topology.
    """
    for path in paths:
        source = Source(str(path))
        data = source.mapping(parse_structured(read_text(path), source.file), "a topology")
        if "default" in data and "defaults" not in data:
            graph.warn("isotope reads 'defaults:', not 'default:'; ignored", where=source.file)
        defaults = source.mapping(data.get("defaults") or {}, "defaults")
        services = source.sequence(data.get("services"), "services")
        if not services:
            source.fail("services is empty")
        specs = [source.mapping(s, f"services[{i}]") for i, s in enumerate(services)]
        for i, spec in enumerate(specs):
            name = source.text(spec.get("name"), f"services[{i}].name")
            if name in graph.services:
                source.fail(f"service {name!r} is defined twice")
            graph.service(name)
        for i, spec in enumerate(specs):
            _service(graph, {**defaults, **spec}, f"services[{i}]", source)


def _service(graph: Graph, spec: dict[str, Any], what: str, source: Source) -> None:
    name = str(spec["name"]).strip()
    node = graph.service(name)
    if "numReplicas" in spec:
        replicas = source.number(spec["numReplicas"], f"{what}.numReplicas")
        node.replicas = max(1, int(replicas))
    kind = str(spec.get("type", "http")).lower()
    if kind not in _PROTOCOLS:
        source.fail(f"{what}.type must be http or grpc, got {spec.get('type')!r}")
    node.protocol = _PROTOCOLS[kind]
    if "errorRate" in spec:
        try:
            node.error_rate = parse_percent(spec["errorRate"])
        except ValueError as err:
            source.fail(f"{what}.errorRate: {err}")
    if spec.get("isEntrypoint") is True:
        node.external = True
        graph.entrypoint(name)
    steps = source.sequence(spec.get("script") or [], f"{what}.script")
    node.script, sleep_ms = _script(graph, steps, f"{what}.script", source)
    if sleep_ms > 0:
        node.service_time = format_duration_ms(sleep_ms, digits=6)


def _script(graph: Graph, steps: list[Any], what: str, source: Source) -> tuple[list[Item], float]:
    items: list[Item] = []
    sleep_ms = 0.0
    for i, step in enumerate(steps):
        here = f"{what}[{i}]"
        if not isinstance(step, list):
            call, sleep = _command(graph, step, here, source)
            items.extend([call] if call else [])
            sleep_ms += sleep
            continue
        group: list[Call] = []
        group_sleep = 0.0
        for j, command in enumerate(step):
            call, sleep = _command(graph, command, f"{here}[{j}]", source)
            group.extend([call] if call else [])
            group_sleep = max(group_sleep, sleep)
        if group and group_sleep:
            graph.warn(
                f"{here}: a sleep that runs alongside calls is read as own time before them",
                where=source.file,
            )
        sleep_ms += group_sleep
        if group:
            items.append(group if len(group) > 1 else group[0])
    return items, sleep_ms


def _command(graph: Graph, command: Any, what: str, source: Source) -> tuple[Call | None, float]:
    command = source.mapping(command, f"{what} (a step)")
    if "sleep" in command:
        return None, _sleep_ms(graph, command["sleep"], what, source)
    if "call" not in command:
        graph.warn(f"{what}: step {sorted(command)} is not read", where=source.file)
        return None, 0.0
    target = command["call"]
    percent = 100.0
    if isinstance(target, dict):
        percent = source.number(target.get("probability", 100), f"{what}.call.probability")
        if percent > 100:
            source.fail(f"{what}.call.probability is a percentage (0-100), got {percent:g}")
        target = target.get("service")
    name = source.text(target, f"{what}.call (a service name)")
    if name not in graph.services:
        graph.warn(f"{what}: calls {name!r}, which is not defined; added", where=source.file)
    graph.service(name)
    if percent <= 0:
        graph.warn(f"{what}: the call to {name} has probability 0; left out", where=source.file)
        return None, 0.0
    return Call(name, probability=round(percent / 100, 6)), 0.0


def _sleep_ms(graph: Graph, value: Any, what: str, source: Source) -> float:
    try:
        return parse_duration_ms(value)
    except ValueError:
        graph.warn(
            f"{what}: sleep {value!r} is not a plain duration; not counted as own time",
            where=source.file,
        )
        return 0.0
