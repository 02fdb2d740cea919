"""Published proxy numbers per mesh profile (SPEC §6) and their merge with overrides.

Sources (see docs/model.md for the full citations):

* Istio sidecar: Istio 1.24 performance & scalability page — 0.20 vCPU and ~60 MiB
  per sidecar per 1000 rps; added latency p50 ≈ 0.09 ms, p99 ≈ 0.25 ms per proxy.
* Istio ambient: same page, ztunnel 0.06 vCPU / 1000 rps and ~12 MiB per node;
  waypoint as an Envoy (0.25 vCPU, 60 MiB).
* Linkerd: Linkerd 2.x benchmark (linkerd2-proxy, Rust) — 0.10 vCPU / 1000 rps,
  ~26 MiB per proxy, p50 0.07 ms / p99 0.20 ms.
"""

from __future__ import annotations

from dataclasses import dataclass

from models import LogNormal, Mesh
from models.distributions import Distribution

__all__ = ["ProxyNumbers", "ProfileNumbers", "profile_numbers"]


@dataclass(frozen=True)
class ProxyNumbers:
    """Latency, CPU and memory of one kind of proxy."""

    latency: Distribution
    cpu_per_1k_rps: float
    memory_mib: float


@dataclass(frozen=True)
class ProfileNumbers:
    """The proxies of a profile: the data-plane proxy and, for ambient, the waypoint."""

    ambient: bool
    proxy: ProxyNumbers  # sidecar (istio-sidecar, linkerd, custom) or ztunnel (istio-ambient)
    waypoint: ProxyNumbers  # waypoint (ambient) / ingress gateway Envoy (all profiles)


def _lognormal(median: str, p99: str) -> LogNormal:
    return LogNormal.model_validate({"dist": "lognormal", "median": median, "p99": p99})


_ENVOY = ProxyNumbers(_lognormal("0.09ms", "0.25ms"), 0.20, 60.0)
_DEFAULTS = {
    "istio-sidecar": (_ENVOY, _ENVOY),
    "istio-ambient": (
        ProxyNumbers(_lognormal("0.07ms", "0.12ms"), 0.06, 12.0),
        ProxyNumbers(_ENVOY.latency, 0.25, 60.0),
    ),
    "linkerd": (ProxyNumbers(_lognormal("0.07ms", "0.20ms"), 0.10, 26.0), _ENVOY),
}


def profile_numbers(mesh: Mesh) -> ProfileNumbers:
    """The proxy numbers in force: the profile's, overridden field by field by ``mesh.proxy``.

    ``mesh.proxy`` overrides the data-plane proxy (the sidecar, or the ztunnel under
    ``istio-ambient``); ``custom`` must give all three numbers (the model checks it).
    The ingress gateway and ambient waypoints are Envoys with the sidecar numbers.
    """
    base, envoy = _DEFAULTS.get(mesh.profile, (_ENVOY, _ENVOY))
    over = mesh.proxy
    proxy = ProxyNumbers(
        latency=over.latency if over.latency is not None else base.latency,
        cpu_per_1k_rps=over.cpu_per_1k_rps
        if over.cpu_per_1k_rps is not None
        else base.cpu_per_1k_rps,
        memory_mib=over.memory_mi_b if over.memory_mi_b is not None else base.memory_mib,
    )
    if mesh.profile == "custom":
        envoy = proxy
    return ProfileNumbers(ambient=mesh.profile == "istio-ambient", proxy=proxy, waypoint=envoy)
