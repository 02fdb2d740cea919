"""HTML tables of the report: ranking and score breakdown, the plans, the assumptions.

Every value that comes from the user's document is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from meshsim.planning.explain import LABELS
from meshsim.rollout.graph import CallTable
from meshsim.sim.profiles import ProxyNumbers, profile_numbers
from models import Scenario
from models.results import CompareResults

__all__ = ["assumptions_html", "describe", "plans_html", "ranking_html"]

_e = html.escape


def describe(value: Any) -> str:
    """A distribution or duration as short text (``lognormal median 3ms, p99 20ms``)."""
    dumped = value.model_dump(mode="json", by_alias=True) if hasattr(value, "model_dump") else value
    if isinstance(dumped, dict):
        kind = dumped.pop("dist", "")
        return f"{kind} " + ", ".join(f"{k} {v}" for k, v in dumped.items())
    return str(dumped)


def _table(
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    numeric_from: int = 99,
    classes: Sequence[str] = (),
) -> str:
    def cell(tag: str, i: int, text: str) -> str:
        css = ' class="num"' if i >= numeric_from else ""
        return f"<{tag}{css}>{text}</{tag}>"

    out = ["<table><thead><tr>", *(cell("th", i, h) for i, h in enumerate(head)), "</tr></thead>"]
    for j, row in enumerate(rows):
        css = f' class="{classes[j]}"' if j < len(classes) and classes[j] else ""
        out.append(f"<tr{css}>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _same_plan(results: CompareResults) -> dict[str, str]:
    """For orderings whose plan repeats an earlier one, the name of that ordering."""
    seen: dict[str, str] = {}
    out = {}
    for o in results.orderings:
        key = repr([{k: v for k, v in p.items() if k != "name"} for p in o.plan])
        if key in seen:
            out[o.name] = seen[key]
        seen.setdefault(key, o.name)
    return out


def _failing(o: Any) -> bool:
    s = o.score
    return bool(s.violations or s.breakages or s.slo_violations)


def _delta(o: Any, best: str, interval: bool = True) -> str:
    s = o.score
    if o.name == best:
        return "best"
    if s.delta_vs_best is None:
        return "-"
    half = f" ± {s.delta_ci95 or 0.0:.1f}" if interval else ""
    text = f"{s.delta_vs_best:+.1f}{half}"
    if s.tied_with_best:
        text += ' <span class="tag">not distinguishable</span>'
    return text


def ranking_html(results: CompareResults, scenario: Scenario) -> str:
    """The ranking with raw metrics and paired differences, then the points per term."""
    by_name = {o.name: o for o in results.orderings}
    same = _same_plan(results)
    ordered = [by_name[n] for n in results.ranking]
    classes = ["fail" if _failing(o) else "" for o in ordered]
    if classes and not classes[0]:
        classes[0] = "best"
    best = results.ranking[0] if results.ranking else ""
    rows = []
    for i, o in enumerate(ordered, start=1):
        s = o.score
        note = ""
        if o.name in same:
            note = f' <span class="tag">same plan as {_e(same[o.name])}</span>'
        rows.append(
            [
                str(i),
                _e(o.name) + note,
                _e(o.strategy),
                f"{s.score:.1f}",
                _delta(o, best, results.has_interval(o.name)),
                _e(", ".join(s.violations)) or "ok",
                str(s.breakages),
                str(s.slo_violations),
                f"{100 * o.phases[1].exposure:.0f}%" if len(o.phases) > 1 else "-",
                f"{100 * s.mean_exposure:.0f}%",
                f"{100 * s.mtls_auc:.0f}%",
                f"{100 * s.sensitive_mtls_auc:.0f}%",
                f"{s.peak_proxy_cpu_cores:.2f}",
                f"{s.p99_delta_ms:+.1f}",
            ]
        )
    head = [
        "#",
        "ordering",
        "strategy",
        "score",
        "Δ vs best (95%)",
        "limits broken",
        "breakages",
        "SLO misses",
        "pilot exposure",
        "mean exposure",
        "mTLS AUC",
        "sensitive mTLS AUC",
        "peak proxy vCPU",
        "p99 Δ ms",
    ]
    counts = sorted(set(results.replications.values()))
    separated = (
        "The best is ahead of every other ordering with 95% confidence."
        if results.separated
        else "Orderings marked <i>not distinguishable</i> differ from the best by less than "
        "the noise: the 95% interval of the paired difference includes 0."
    )
    return (
        _table(head, rows, numeric_from=3, classes=classes)
        + '<p class="meta">Orderings that break a rollout constraint, have a STRICT breakage '
        "or miss an SLO (red) rank after every ordering without, whatever their score. "
        "Δ vs best: the paired score difference over "
        f"{'/'.join(map(str, counts)) or '?'} replications (common random numbers) with its "
        f"95% half-width. {separated} Exposure: share of entry requests that touch a service "
        "onboarded in the phase. AUC: mean coverage over the phases.</p>"
        + "<h3>Where the points come from</h3>"
        + _points_table(results, classes)
    )


def _points_table(results: CompareResults, classes: list[str]) -> str:
    by_name = {o.name: o for o in results.orderings}
    terms = [t for t, w in results.weights.items() if w > 0]
    idle = [LABELS[t] for t, w in results.weights.items() if w == 0]
    rows = []
    for name in results.ranking:
        o = by_name[name]
        rows.append(
            [
                _e(o.name),
                *(f"{o.score.terms.get(t, 0.0):.1f}" for t in terms),
                f"{o.score.score:.1f}",
            ]
        )
    head = ["ordering", *(f"{LABELS[t]} /{results.weights[t]:g}" for t in terms), "score"]
    note = f" Weigh nothing here (equal for every ordering): {_e(', '.join(idle))}." if idle else ""
    return (
        _table(head, rows, numeric_from=1, classes=classes)
        + '<p class="meta">Points = goodness (0..1) × weight, the mean over replications.'
        + note
        + " docs/planning.md explains each term; rollout.scoreWeights changes the weights.</p>"
    )


def _phase_cell(phase: dict[str, Any], k: int) -> str:
    parts = []
    if phase.get("name") != f"phase-{k}":
        parts.append(f"<b>{_e(str(phase.get('name')))}</b><br>")
    names = [*phase.get("services", []), *(f"ns:{n}" for n in phase.get("namespaces", []))]
    parts.append(_e(", ".join(names)) or "—")
    if phase.get("gateway"):
        parts.append('<br><span class="tag">gateway</span>')
    strict = [r for r in phase.get("mtls", []) if r.get("mode") == "STRICT"]
    if strict:
        label = ", ".join(_e(r.get("name") or "mesh") for r in strict)
        parts.append(f'<br><span class="tag strict">STRICT</span>{label}')
    other = [r for r in phase.get("mtls", []) if r.get("mode") != "STRICT"]
    if other:
        label = ", ".join(_e(r.get("name") or "mesh") for r in other)
        parts.append(f'<br><span class="tag">PERMISSIVE</span>{label}')
    canary = phase.get("canary") or {}
    if canary:
        label = ", ".join(f"{_e(n)} {share:.0%}" for n, share in canary.items())
        parts.append(f'<br><span class="tag">canary</span>{label}')
    if phase.get("clusters"):
        parts.append(f'<br><span class="tag">clusters</span>{_e(", ".join(phase["clusters"]))}')
    authz = phase.get("authz") or []
    if authz:
        label = ", ".join(
            _e(r["service"]) if r.get("service") else f"mesh {_e(r.get('default', ''))}"
            for r in authz
        )
        parts.append(f'<br><span class="tag">authz</span>{label}')
    return "".join(parts)


def beyond_html(ordering: Any) -> str:
    """Per phase of ``ordering``: proxy cost per month, 403 denials, canaries (SPEC §20).

    Empty when no phase has any of them, so reports of other scenarios do not change.
    """
    phases = ordering.phases
    cost = any(p.proxy_cost_per_month is not None for p in phases)
    denials = any(p.denials is not None for p in phases)
    canary = any(p.canary for p in phases)
    if not (cost or denials or canary):
        return ""
    head = ["phase", "proxies", "proxy vCPU", "proxy MiB"]
    head += ["cost / month"] * cost + ["denials (403)"] * denials + ["canary"] * canary
    rows = []
    for p in phases:
        row = [_e(p.name), str(p.proxies), f"{p.proxy_cpu_cores:.2f}", f"{p.proxy_memory_mi_b:.0f}"]
        if cost:
            row.append("—" if p.proxy_cost_per_month is None else f"{p.proxy_cost_per_month:.2f}")
        if denials:
            row.append("—" if p.denials is None else f"{p.denials:.0f}")
        if canary:
            row.append(_e(", ".join(f"{n} {v:.0%}" for n, v in (p.canary or {}).items())) or "—")
        rows.append(row)
    return _table(head, rows)


def plans_html(results: CompareResults) -> str:
    """One row per ordering (ranking order), one column per phase."""
    by_name = {o.name: o for o in results.orderings}
    width = max((len(o.plan) for o in results.orderings), default=0)
    rows = []
    for name in results.ranking:
        plan = by_name[name].plan
        cells = [_phase_cell(p, k) for k, p in enumerate(plan, start=1)]
        rows.append([f"<b>{_e(name)}</b>", *cells, *([""] * (width - len(cells)))])
    return _table(["ordering", *(f"phase {k}" for k in range(1, width + 1))], rows)


def _proxy_row(label: str, numbers: ProxyNumbers) -> list[str]:
    return [
        label,
        _e(describe(numbers.latency)),
        f"{numbers.cpu_per_1k_rps:g}",
        f"{numbers.memory_mib:g}",
    ]


def _none(value: Any) -> Any:
    """``None`` written as the scenario format writes it: ``none``."""
    if isinstance(value, dict):
        return {k: _none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_none(v) for v in value]
    return "none" if value is None else value


def _yaml(value: Any, *, full: bool = False, backoff_mode: str | None = None) -> str:
    dumped = value.model_dump(mode="json", by_alias=True, exclude_unset=not full)
    for key in ("host", "service"):  # what the entry is about goes first
        if key in dumped:
            dumped = {key: dumped.pop(key), **dumped}
    backoff = (dumped.get("retries") or {}).get("backoff")
    if backoff_mode and isinstance(backoff, dict) and backoff.get("mode") is None:
        backoff["mode"] = f"{backoff_mode} (simulation.backoffMode)"
    text = yaml.safe_dump(_none(dumped), sort_keys=False).strip()
    return f"<pre>{_e(text or '{}')}</pre>"


def assumptions_html(scenario: Scenario) -> str:
    """Profile numbers, policies, simulation settings, entrypoints, services and faults."""
    mesh, sim = scenario.mesh, scenario.simulation
    numbers = profile_numbers(mesh)
    proxies = [
        _proxy_row("ztunnel" if numbers.ambient else "sidecar", numbers.proxy),
        _proxy_row("waypoint" if numbers.ambient else "ingress gateway", numbers.waypoint),
    ]
    parts = [
        f"<h3>Mesh: profile <code>{_e(mesh.profile)}</code></h3>",
        _table(
            ["proxy", "latency per traversal", "vCPU per 1k rps", "memory MiB"],
            proxies,
            numeric_from=2,
        ),
        "<div class=cols><div><h3>Default policy of every destination (mesh.defaults)</h3>",
        _yaml(mesh.defaults, full=True, backoff_mode=sim.backoff_mode),
        "</div><div><h3>Per-host policies (mesh.policies, merged over the default)</h3>",
        "".join(_yaml(p) for p in mesh.policies) or "<p>none</p>",
        "</div></div><h3>Simulation</h3>",
        _table(
            [
                "duration",
                "warm-up",
                "replications",
                "seed",
                "network latency (each way)",
                "back-off mode",
                "max depth",
            ],
            [
                [
                    f"{sim.duration:g} s",
                    f"{sim.warmup:g} s",
                    str(sim.replications),
                    str(sim.seed),
                    _e(describe(sim.network_latency)),
                    sim.backoff_mode,
                    str(sim.max_depth),
                ]
            ],
        ),
        "<h3>Entrypoints</h3>",
        _table(
            ["name", "service", "rate /s", "arrival", "client", "SLO p99", "SLO errors"],
            [
                [
                    _e(e.name),
                    _e(e.service),
                    f"{e.rate:g}",
                    e.arrival,
                    e.client,
                    *_slo(scenario.slo_of(e)),
                ]
                for e in scenario.entrypoints
            ],
        ),
        "<h3>Services</h3>",
        _services_table(scenario),
    ]
    if scenario.faults:
        parts += [
            "<h3>Faults (in force in every phase)</h3>",
            "".join(_yaml(f) for f in scenario.faults),
        ]
    return "\n".join(parts)


def _slo(slo: Any) -> list[str]:
    if slo is None:  # judged against the baseline (meshsim.sim.stats.slo_verdict)
        return ["baseline +max(20%, 5 ms)", "baseline +1 pt"]
    p99 = f"{slo.latency_p99 * 1000:g} ms" if slo.latency_p99 is not None else "—"
    err = f"{100 * slo.error_rate:g}%" if slo.error_rate is not None else "—"
    return [p99, err]


def _services_table(scenario: Scenario) -> str:
    table = CallTable.from_scenario(scenario)
    exposure, blast = table.exposure(), table.structural_blast_radius()
    rows = []
    for s in scenario.services:
        flags = [f for f, on in (("external", s.external), ("sensitive", s.sensitive)) if on]
        rows.append(
            [
                _e(s.name),
                _e(s.namespace),
                str(s.replicas),
                f"{s.concurrency} {s.concurrency_model}",
                _e(describe(s.service_time)),
                f"{100 * s.error_rate:g}%",
                s.protocol,
                s.tier,
                s.environment,
                ", ".join(flags),
                f"{100 * exposure[s.name]:.0f}%",
                f"{100 * blast[s.name]:.0f}%",
            ]
        )
    head = [
        "service",
        "namespace",
        "replicas",
        "workers / replica",
        "service time",
        "errors",
        "protocol",
        "tier",
        "environment",
        "flags",
        "exposure",
        "structural blast",
    ]
    return _table(head, rows) + (
        '<p class="meta">Exposure and structural blast radius are analytic (from the call '
        "probabilities): the share of entry requests that touch, resp. require, the "
        "service.</p>"
    )
