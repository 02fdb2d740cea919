"""Rules that make an imported scenario runnable as it is (SPEC §13, "realistic imports").

* Load generators (a service that calls others, is called by none and is named or
  labelled as a load tool) are left out: they stand for the entry traffic.
* A gateway that "calls" many services without counts routes each request to one
  of them (see :func:`choice_gateways`).
* Nothing certain comes from a tiny sample: error rates and service times measured
  on fewer than :data:`MIN_SAMPLES` requests get a warning, an error rate of 1.0
  from so few is not set, and own times are fitted only from enough spans.
* Entry rates come from the observed traffic when the counts cover a known window.
* Services that call each other in a cycle run ``async`` (see :func:`async_cycles`).

Every rule warns with what it inferred.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Sequence
from collections.abc import Set as AbstractSet

import networkx as nx
import numpy as np

from meshsim.errors import GraphImportError
from meshsim.files.importers.calls import iter_calls
from meshsim.files.importers.common import DEFAULT_RATE_RPS, Graph, ServiceNode
from meshsim.files.importers.values import format_duration_ms, format_rate, round_sig

__all__ = [
    "FAN_OUT_MIN",
    "MAX_VISITS_PER_REQUEST",
    "thin_uncounted_calls",
    "async_cycles",
    "MIN_SAMPLES",
    "choice_gateways",
    "drop_load_generators",
    "fit_service_times",
    "guard_error_rates",
    "is_gateway_like",
    "is_load_tool",
    "load_programs",
    "observed_rate",
]

MIN_SAMPLES = 20
"""Fewer requests than this are a tiny sample: no certainty is taken from them."""

FAN_OUT_MIN = 8
"""A gateway calling at least this many services without counts routes to one of them."""

MAX_VISITS_PER_REQUEST = 1000.0
"""Service visits one entry request may make when the calls are guessed (no counts)."""

_VISIT_DEPTH = 256  # the deepest maxDepth the import sets (sizing.depth_needed's cap)
_DEPTH_TOLERANCE = 1e-3  # as sizing.DEPTH_TOLERANCE: requests that may fail for depth

_LOAD_TOOLS = ("loadgenerator", "loadgen", "locust", "fortio", "jmeter", "vegeta", "gatling")
_LOAD_TOKENS = {"k6", "wrk", "hey", "artillery", "loadtest", "siege", "ghz"}
_LOAD_PROGRAMS = {*_LOAD_TOOLS, *_LOAD_TOKENS, "wrk2"}
_SHELL_WORDS = re.compile(r"&&|\|\||[;&|()`]|[^\s;&|()`]+")
_SHELL_BREAKS = {"&&", "||", ";", "&", "|", "(", ")", "`", "do", "then", "else", "exec",
                 "time", "nohup", "xargs", "sudo", "timeout"}  # fmt: skip
_GATEWAY_WORDS = ("nginx", "envoy", "ingress", "gateway", "dashboard", "haproxy", "traefik")
_GATEWAY_TOKENS = {"ui", "bff", "gw", "proxy", "frontend", "web", "portal"}
_SPLIT = re.compile(r"[^a-z0-9]+")
_LOGNORMAL_Z99 = 2.3263


def _words(node: ServiceNode) -> list[str]:
    return [text.lower() for text in (node.name, str(node.key), *node.hints)]


def is_load_tool(node: ServiceNode) -> bool:
    """Whether the service's name, image or labels name a load-testing tool.

    Examples
    --------
    >>> is_load_tool(ServiceNode("loadgenerator", "loadgenerator"))
    True
    >>> is_load_tool(ServiceNode("x", "x", hints=["grafana/k6:0.49"]))
    True
    >>> is_load_tool(ServiceNode("load-generator", "load-generator"))
    True
    >>> is_load_tool(ServiceNode("uploader", "uploader"))
    False
    """
    return _mentions(node, _LOAD_TOOLS, _LOAD_TOKENS)


def load_programs(command_line: Sequence[str]) -> list[str]:
    """The load tools a container's ``command`` + ``args`` run, as program names.

    Only a word in a program's place counts (the first word, or the first after
    ``;``, ``&&``, ``|``, ``do``, ``then``...), and only when its file name is exactly
    a load tool, so ``echo hey`` or ``--k6-compat`` runs none.

    Examples
    --------
    >>> load_programs(["/bin/sh", "-c", "while true; do locust --host http://front-end; done"])
    ['locust']
    >>> load_programs(["/usr/local/bin/k6", "run", "/scripts/test.js"])
    ['k6']
    >>> load_programs(["/bin/sh", "-c", "echo hey && python server.py --mode k6"])
    []
    >>> load_programs(["server", "--greeting", "hey"])
    []
    """
    found = []
    program_next = True  # the first word; then a shell's -c string starts anew
    for text in command_line:
        for word in _SHELL_WORDS.findall(text):
            if word in _SHELL_BREAKS:
                program_next = True
                continue
            if program_next and ("=" in word or word.isdigit()):
                continue  # FOO=bar cmd, timeout 60 cmd: the program comes later
            if program_next:
                name = word.rsplit("/", 1)[-1].lower().removesuffix(".sh")
                if name in _LOAD_PROGRAMS:
                    found.append(name)
            program_next = False
        program_next = re.fullmatch(r"-[a-z]*c", text) is not None  # sh -c, bash -lc
    return found


def is_gateway_like(node: ServiceNode) -> bool:
    """Whether the name, image or labels say gateway, proxy, UI or backend-for-frontend.

    Examples
    --------
    >>> is_gateway_like(ServiceNode("ts-ui-dashboard", "ts-ui-dashboard"))
    True
    >>> is_gateway_like(ServiceNode("build-service", "build-service"))
    False
    """
    return _mentions(node, _GATEWAY_WORDS, _GATEWAY_TOKENS)


def _mentions(node: ServiceNode, parts: Iterable[str], tokens: AbstractSet[str]) -> bool:
    """Whether a name, image or label contains one of ``parts`` or is split into ``tokens``.

    Separators do not hide a word: ``load-generator`` (the OpenTelemetry demo's)
    contains ``loadgenerator``, ``load-test`` (Sock Shop's) and ``front-end`` are the
    words ``loadtest`` and ``frontend``.
    """
    for text in _words(node):
        words = [w for w in _SPLIT.split(text) if w]
        squeezed = "".join(words)
        if any(part in text or part in squeezed for part in parts):
            return True
        pairs = {a + b for a, b in zip(words, words[1:], strict=False)}
        if tokens & (set(words) | pairs):
            return True
    return False


def drop_load_generators(graph: Graph) -> None:
    """Remove load generators: services nobody calls that are named or labelled as a load tool.

    One that calls others is left out with its calls. One with no call found (a load
    tool whose target is in its command line, not in its environment) is left out too,
    unless the input makes it an entrypoint (then something calls it from outside).

    Raises
    ------
    GraphImportError
        When only load generators are left: a scenario needs a service.
    """
    scripted = {
        key: [c.to for c in iter_calls(node.script)] for key, node in graph.services.items()
    }
    called = {callee for _, callee in graph.edges} | {to for tos in scripted.values() for to in tos}
    calling = {caller for caller, _ in graph.edges} | {key for key, tos in scripted.items() if tos}
    dropped = []
    for key, node in list(graph.services.items()):
        if key in called or not is_load_tool(node):
            continue
        if key not in calling and key in graph.entrypoints:
            continue
        callees = [callee for caller, callee in graph.edges if caller == key] + scripted[key]
        targets = ", ".join(dict.fromkeys(graph.name_of(callee) for callee in callees))
        del graph.services[key]
        graph.entrypoints.pop(key, None)
        for edge in [e for e in graph.edges if e[0] == key]:
            del graph.edges[edge]
        dropped.append(node.name)
        does = f"it calls {targets}" if targets else "it calls no service of the input"
        graph.warn(
            f"{node.name} looks like a load generator ({does} and nobody calls it): "
            "left out; its traffic is the entrypoints' rate"
        )
    if dropped and not graph.services:
        raise GraphImportError(
            f"the input holds only load generators ({', '.join(dropped)}): they are the "
            "traffic, not services; import them together with the services they load"
        )


def choice_gateways(graph: Graph) -> dict[Hashable, float]:
    """Gateways that route each request to one of their callees, with their request counts.

    A service qualifies when it calls at least :data:`FAN_OUT_MIN` services and none
    of its calls has a fixed probability or count. Without call counts it must be an
    entry (the format's own, or called by nobody) or be named like a gateway/proxy/UI
    (:func:`is_gateway_like`); each callee then gets 1/n. With counts on every edge
    (and no count of its own requests) it must be named so, and its requests are taken
    as the sum of its calls: each callee gets its observed share, calls / sum. Calls are drawn
    independently, so a request makes one call on average (not exactly one).

    Returns
    -------
    dict
        Counted gateways: service key → requests into it (the sum of its calls).
        Uncounted ones get their calls' probabilities set directly.
    """
    out: dict[Hashable, list] = {}
    called = {callee for _, callee in graph.edges}
    for (caller, _callee), stats in graph.edges.items():
        out.setdefault(caller, []).append(stats)
    chosen: dict[Hashable, float] = {}
    for key, edges in out.items():
        node = graph.services[key]
        if len(edges) < FAN_OUT_MIN or node.requests:
            continue
        if any(s.probability is not None or s.count is not None for s in edges):
            continue
        counted = [s.calls for s in edges if s.calls is not None]
        if len(counted) == len(edges) and sum(counted) > 0:
            if not is_gateway_like(node):
                continue  # counted calls of a plain service say what each request makes
            chosen[key] = float(sum(counted))
            how = "by the observed calls"
        elif key in graph.entrypoints or key not in called or is_gateway_like(node):
            for stats in edges:
                stats.probability = round_sig(1 / len(edges))
            how = f"evenly (probability {round_sig(1 / len(edges))} each)"
        else:
            continue
        graph.warn(
            f"{node.name} calls {len(edges)} services and looks like a gateway: each request "
            f"goes to one of them on average, weighted {how}, not to all of them"
        )
    return chosen


def guard_error_rates(graph: Graph) -> None:
    """Warn about error rates from fewer than :data:`MIN_SAMPLES` requests; drop a 1.0."""
    for node in graph.services.values():
        samples = node.error_samples
        if not node.error_rate or samples is None or samples >= MIN_SAMPLES:
            continue
        if node.error_rate >= 1.0:
            graph.warn(
                f"{node.name} failed on all of its {samples:g} observed requests; "
                f"too few to be sure (< {MIN_SAMPLES}): errorRate left at 0",
                group="few samples",
            )
            node.error_rate = None
        else:
            graph.warn(
                f"{node.name}: errorRate {round_sig(node.error_rate)} comes from only "
                f"{samples:g} requests (< {MIN_SAMPLES}); check it",
                group="few samples",
            )


def fit_service_times(graph: Graph) -> None:
    """Own times from spans: a lognormal by median and p99 from enough samples, else default.

    Quantiles are the samples' (linear interpolation). A median of 0 or a p99 not
    above the median gives a constant (the median) or the default, with a warning.
    """
    for node in graph.services.values():
        samples = sorted(node.self_times_ms)
        if node.service_time is not None or not samples:
            continue
        node.self_times_ms = []
        if len(samples) < MIN_SAMPLES:
            graph.warn(
                f"{node.name}: own time measured on only {len(samples)} request(s) "
                f"(< {MIN_SAMPLES}); serviceTime left at the default",
                group="few samples",
            )
            continue
        median, p99 = _quantile(samples, 0.5), _quantile(samples, 0.99)
        if median <= 0:
            graph.warn(
                f"{node.name}: own time is 0 in most of its {len(samples)} requests "
                "(its calls cover it); serviceTime left at the default",
                group="zero own time",
            )
        elif p99 <= median * 1.0001:
            node.service_time = format_duration_ms(median)
        else:
            node.service_time = {
                "dist": "lognormal",
                "median": format_duration_ms(median),
                "p99": format_duration_ms(p99),
            }


def _quantile(ordered: list[float], q: float) -> float:
    """Linear-interpolation quantile of sorted samples (numpy's default)."""
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def observed_rate(graph: Graph, key: Hashable, requests: float | None) -> float | None:
    """Entry rate of ``key`` from the observed traffic, or None (then ``--rate``).

    Needs a known window: the user's ``--window`` (then counts / window, however
    few), or the traces' own span with at least :data:`MIN_SAMPLES` requests into the
    entry service (a handful of traces picked by hand span no real window).
    """
    window = graph.window_s
    if not window or window <= 0 or not requests or graph.counts_are_rates:
        return None
    name = graph.name_of(key)
    rate = requests / window
    if requests < MIN_SAMPLES and not graph.window_given:
        graph.warn(
            f"entrypoint {name}: only {requests:g} requests observed (< {MIN_SAMPLES}); "
            "its rate is --rate (default 100/s), not the observed one"
        )
        return None
    few = f", from only {requests:g} requests" if requests < MIN_SAMPLES else ""
    graph.warn(
        f"entrypoint {name}: rate {round_sig(rate)}/s = {requests:g} requests observed "
        f"/ {round_sig(window)} s{few} (--rate overrides)",
        group="observed rate",
    )
    return rate


def relative_rates(graph: Graph, keys: Sequence[Hashable]) -> dict[Hashable, float]:
    """Entry rates that keep the observed traffic mix when the window is unknown.

    Call counts without a window still say how busy each entrypoint is relative to
    the others; the same default rate for all would give an entrypoint observed once
    as much traffic as the busiest (and, times its calls per request, thousands of
    times the observed load). The busiest gets the default rate, the others their
    share of it. Only for two or more entrypoints with counts; else nothing (the
    default applies).
    """
    if graph.counts_are_rates:
        return {}
    counted = {k: graph.requests.get(k) or 0.0 for k in keys}
    counted = {k: n for k, n in counted.items() if n > 0}
    if len(counted) < 2:
        return {}
    busiest = max(counted, key=lambda k: counted[k])
    peak = counted[busiest]
    rates = {k: DEFAULT_RATE_RPS * n / peak for k, n in counted.items()}
    low = min(rates.values())
    graph.warn(
        f"the input's counts cover an unknown time (--window D gives it): the "
        f"{len(rates)} entrypoints with counts keep the observed mix, the busiest "
        f"({graph.name_of(busiest)}, {peak:g} requests) at {format_rate(DEFAULT_RATE_RPS)}, "
        f"the others down to {format_rate(low)} (--rate R sets every one to R)"
    )
    return rates


def async_cycles(graph: Graph) -> None:
    """Write ``concurrencyModel: async`` for every service that can call itself again.

    Under ``threads`` a request holds its worker until it ends (SPEC §10.3). On a
    cycle A → B → A the request in A waits for B, which waits for a worker of A; once
    every worker of A is held so, nothing frees one (an imported scenario has no
    timeouts) and the cycle deadlocks for the rest of the run. The production systems
    the graphs come from do not: their pools are large or their calls asynchronous.
    So the members of each strongly connected group of calls (and a service that
    calls itself) hold a worker only for their own work, with one warning per group.
    """
    edges = [
        (key, call.to) for key, node in graph.services.items() for call in iter_calls(node.script)
    ]
    calls = nx.DiGraph(edges)
    order = {key: i for i, key in enumerate(graph.services)}
    groups = [
        sorted(group, key=order.__getitem__)
        for group in nx.strongly_connected_components(calls)
        if len(group) > 1 or calls.has_edge(next(iter(group)), next(iter(group)))
    ]
    for members in sorted(groups, key=lambda g: order[g[0]]):
        for key in members:
            graph.services[key].concurrency_model = "async"
        names = ", ".join(graph.name_of(k) for k in members[:5])
        more = f" and {len(members) - 5} more" if len(members) > 5 else ""
        what = f"{names}{more} call each other" if len(members) > 1 else f"{names} calls itself"
        graph.warn(
            f"{what} in a cycle: written with concurrencyModel async (a worker held "
            "across calls that come back to its own service deadlocks the cycle once every "
            "worker waits so; nothing imported times out)",
            group="async cycle",
        )


def thin_uncounted_calls(graph: Graph, entries: Sequence[Hashable]) -> None:
    """Make guessed calls rarer where calling every callee would never end.

    An edge without counts becomes a certain call (SPEC §13). In a dense graph that
    guess multiplies: 300 services each calling 4 others make 10^11 calls per
    request (every path is taken; cycles are cut only for certain calls), so every
    request fails at ``maxDepth`` and no depth helps. When the guessed calls would
    make more than :data:`MAX_VISITS_PER_REQUEST` service visits per entry request
    (counted to depth 256), or more than 0.1% of an entrypoint's requests would nest
    calls 256 deep (no ``maxDepth`` the import sets would let them end), every call
    from an edge without counts or a fixed probability gets its probability times one
    factor c, the largest that meets both (bisection), with a warning. Counted calls
    keep theirs.
    """
    keys = list(graph.services)
    index = {key: i for i, key in enumerate(keys)}
    src, dst, weight, guessed = [], [], [], []
    for key, node in graph.services.items():
        for call in iter_calls(node.script):
            stats = graph.edges.get((key, call.to))
            src.append(index[key])
            dst.append(index[call.to])
            weight.append(call.probability * call.count)
            guessed.append(
                stats is None
                or (stats.calls is None and stats.probability is None and stats.count is None)
            )
    if not entries or not any(guessed):
        return
    src_a, dst_a = np.array(src, dtype=np.intp), np.array(dst, dtype=np.intp)
    w, g = np.array(weight), np.array(guessed)
    start = np.zeros(len(keys))
    start[[index[k] for k in entries]] = 1.0 / len(entries)

    def visits(factor: float) -> float:
        edge_w = np.where(g, w * factor, w)
        level, total = start, 1.0
        for _ in range(_VISIT_DEPTH):
            level = np.bincount(dst_a, weights=edge_w * level[src_a], minlength=len(keys))
            total += level.sum()
            if total > 1e15 or level.sum() < 1e-12:
                break
        return total

    counts = np.array(
        [c.count for n in graph.services.values() for c in iter_calls(n.script)], dtype=float
    )
    probability = w / np.maximum(counts, 1.0)
    entry_rows = np.array([index[k] for k in entries], dtype=np.intp)

    def deep(factor: float) -> float:
        """Largest share of an entrypoint's requests nesting calls _VISIT_DEPTH deep."""
        p = np.where(g, probability * factor, probability)
        f = np.ones(len(keys))
        with np.errstate(divide="ignore"):
            for _ in range(_VISIT_DEPTH):
                item = p * (1.0 - (1.0 - f[dst_a]) ** counts)
                miss = np.bincount(src_a, weights=np.log1p(-item), minlength=len(keys))
                f = 1.0 - np.exp(miss)
        return float(f[entry_rows].max())

    def fits(factor: float) -> bool:
        return visits(factor) <= MAX_VISITS_PER_REQUEST and deep(factor) <= _DEPTH_TOLERANCE

    before = visits(1.0)
    if fits(1.0):
        return
    if fits_without_guesses := fits(0.0):
        low, high = 0.0, 1.0
        for _ in range(30):
            mid = (low + high) / 2
            low, high = (mid, high) if fits(mid) else (low, mid)
    if not fits_without_guesses or low <= 0:
        return  # the counted calls alone go too deep: deepen() reports it
    # rounded down to 3 significant figures: visits and depth grow with the factor
    unit = 10.0 ** (math.floor(math.log10(low)) - 2)
    factor = math.floor(low / unit) * unit
    while factor > unit and not fits(factor):
        factor -= unit
    factor = float(f"{factor:.3g}")
    for key, node in graph.services.items():
        for call in iter_calls(node.script):
            stats = graph.edges.get((key, call.to))
            if stats is None or (
                stats.calls is None and stats.probability is None and stats.count is None
            ):
                call.probability = max(round_sig(call.probability * factor), 1e-4)
    graph.warn(
        f"without call counts, a call on every edge on every request would make "
        f"{before:.3g} service visits per request (paths multiply through the graph): "
        f"every such call's probability is multiplied by {factor:g}, so a request makes "
        f"at most {MAX_VISITS_PER_REQUEST:,.0f} and its calls die out within {_VISIT_DEPTH} "
        "nested calls "
        "(counts or probabilities on the edges would tell the real ones)"
    )
