"""The results documents (SPEC §11, §12.1): run, compare and blast.

Results are plain data written once at the end of a run; they use the same
camelCase-on-the-wire convention as the scenario, but are open to extra keys
only where the SPEC leaves room (``ci95``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer
from pydantic.alias_generators import to_camel

__all__ = [
    "ReplicaGroupResult",
    "BlastEntry",
    "BlastResults",
    "CompareResults",
    "EdgeResult",
    "EdgeSeries",
    "EntrySeries",
    "EntrypointResult",
    "LatencyStats",
    "OrderingResult",
    "OrderingScore",
    "PhaseResult",
    "Results",
    "Series",
    "ServiceResult",
    "ServiceSeries",
]


class _Result(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


def _drop_unset(data: dict, model: type[BaseModel], names: tuple[str, ...]) -> dict:
    """``data`` without the SPEC §20 keys ``names`` whose value is None.

    They appear only where a scenario uses canaries, authorization or cost, so every
    other scenario's results document stays exactly what it was.
    """
    keys = set(names) | {model.model_fields[n].alias or n for n in names}
    return {k: v for k, v in data.items() if not (k in keys and v is None)}


class LatencyStats(_Result):
    """Latency summary in milliseconds (empty when nothing was measured)."""

    mean: float | None = Field(None, description="Mean latency (ms).")
    p50: float | None = Field(None, description="Median latency (ms).")
    p90: float | None = Field(None, description="90th percentile (ms).")
    p99: float | None = Field(None, description="99th percentile (ms).")
    max: float | None = Field(None, description="Largest latency (ms).")

    @model_serializer(mode="wrap")
    def _omit_missing(self, handler: SerializerFunctionWrapHandler) -> dict:
        # nothing measured is written as {} (SPEC §12.1), not as five nulls
        return {k: v for k, v in handler(self).items() if v is not None}


class EntrypointResult(_Result):
    """Metrics of one entrypoint in one phase (SPEC §11.1)."""

    requests: float = Field(description="Measured entry requests.")
    success_rate: float = Field(description="Share of requests whose final outcome is ok.")
    good_rate: float = Field(description="Share ok and within the SLO latency.")
    throughput_rps: float = Field(description="Successful requests per second of window.")
    slo_met: bool | None = Field(
        description=(
            "p99 <= latencyP99 and 1 - successRate <= errorRate. Without a declared SLO a "
            "phase is judged against the baseline's default regression budget "
            "(docs/model.md); null when no SLO applies (the baseline without one)."
        )
    )
    latency_ms: LatencyStats = Field(description="Latency over all measured requests.")
    ci95: dict[str, float] = Field(
        default_factory=dict, description="95% confidence half-widths, by metric name."
    )


class ReplicaGroupResult(_Result):
    """What the meshed or the plain replicas of a canary service saw (SPEC §20)."""

    replicas: int = Field(description="Replicas in the group.")
    attempts: float = Field(description="Tries that went to a replica of the group.")
    failures: float = Field(description="Those tries whose outcome was not ok.")


class ServiceResult(_Result):
    """Metrics of one service in one phase (SPEC §11.2)."""

    calls: float = Field(description="Logical calls addressed to it.")
    attempts: float = Field(description="Every try addressed to it, rejected ones included.")
    retries: float = Field(description="attempts - calls: tries beyond the first.")
    errors: float = Field(description="Attempts that ended with 500.")
    timeouts: float = Field(description="Attempts that ended with a timeout at the client.")
    rejected: float = Field(description="Attempts ended unavailable, overflow or connect-failure.")
    utilization: float = Field(description="Busy worker time / worker capacity.")
    ejections: float = Field(description="Outlier ejections of its replicas.")
    latency_ms: LatencyStats = Field(description="Latency of its attempts as clients see them.")
    meshed: ReplicaGroupResult | None = Field(
        None, description="A canary: its replicas with a sidecar (absent otherwise)."
    )
    plain: ReplicaGroupResult | None = Field(
        None, description="A canary: its replicas without a sidecar (absent otherwise)."
    )

    @model_serializer(mode="wrap")
    def _omit_split(self, handler: SerializerFunctionWrapHandler) -> dict:
        return _drop_unset(handler(self), ServiceResult, ("meshed", "plain"))


class EdgeResult(_Result):
    """Metrics of one caller → callee edge in one phase."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )

    from_: str = Field(alias="from", description="Caller ('@entry' for an entry client).")
    to: str = Field(description="Callee.")
    calls: float = Field(description="Logical calls.")
    attempts: float = Field(description="Tries.")
    failures: float = Field(description="Logical calls whose final outcome was not ok.")
    mtls: float = Field(description="Share of attempts carried over mTLS.")
    policy: bool = Field(description="The client applies mesh policy (client meshed).")
    breakages: float = Field(
        0.0, description="Attempts refused because a plaintext client met STRICT."
    )
    denials: float | None = Field(
        None,
        description="Attempts refused with 403 by AuthorizationPolicy (absent: none in force).",
    )

    @model_serializer(mode="wrap")
    def _omit_denials(self, handler: SerializerFunctionWrapHandler) -> dict:
        return _drop_unset(handler(self), EdgeResult, ("denials",))


class EntrySeries(_Result):
    """One entrypoint per bucket, by the bucket of each request's arrival (SPEC §14)."""

    requests: list[float] = Field(description="Entry requests that arrived in the bucket.")
    ok: list[float] = Field(description="Of those, the ones whose final outcome was ok.")
    failed: list[float] = Field(description="requests - ok (unfinished ones included).")
    p50_ms: list[float | None] = Field(description="Median latency of the bucket's requests.")
    p99_ms: list[float | None] = Field(description="99th percentile of the bucket's requests.")


class ServiceSeries(_Result):
    """One service per bucket (SPEC §14)."""

    attempts: list[float] = Field(description="Tries addressed to it that started.")
    rejected: list[float] = Field(description="Tries ended unavailable/overflow/connect-failure.")
    timeouts: list[float] = Field(description="Timeouts that fired on calls or tries to it.")
    in_flight: list[float] = Field(description="Time-average requests at its replicas.")
    queued: list[float] = Field(description="Time-average requests waiting for a worker.")
    utilization: list[float] = Field(description="Busy worker time / worker capacity.")
    ejected: list[float] = Field(description="Replicas ejected by a calling proxy at the end.")


class EdgeSeries(_Result):
    """One caller → callee edge per bucket (SPEC §14)."""

    from_: str = Field(alias="from", description="Caller ('@entry' for an entry client).")
    to: str = Field(description="Callee.")
    calls: list[float] = Field(description="Logical calls that started.")
    attempts: list[float] = Field(description="Tries that started.")
    failures: list[float] = Field(description="Logical calls that ended not ok.")


class Series(_Result):
    """The time series of a phase: means over replications per bucket (SPEC §14)."""

    bucket_s: float = Field(alias="bucketS", description="Bucket width (s).")
    t: list[float] = Field(description="Start of each bucket (s), warm-up included.")
    entrypoints: dict[str, EntrySeries] = Field(description="Per entrypoint.")
    services: dict[str, ServiceSeries] = Field(description="Per service.")
    edges: list[EdgeSeries] = Field(description="Per caller → callee edge.")


class PhaseResult(_Result):
    """Everything measured in one phase."""

    index: int = Field(description="0 for the baseline.")
    name: str = Field(description="Phase name.")
    meshed: list[str] = Field(description="Services meshed in this phase (cumulative).")
    onboarded: list[str] = Field(description="Services this phase adds to the mesh.")
    entrypoints: dict[str, EntrypointResult] = Field(description="Per entrypoint.")
    services: dict[str, ServiceResult] = Field(description="Per service.")
    edges: list[EdgeResult] = Field(description="Per caller → callee edge.")
    retry_amplification: float = Field(description="Total attempts / total logical calls.")
    mtls_coverage: float = Field(description="mTLS attempts / service-to-service attempts.")
    policy_coverage: float = Field(description="Calls from meshed clients / all calls.")
    telemetry_coverage: float = Field(description="Calls with a meshed end / all calls.")
    proxies: int = Field(description="Proxies running (sidecars, gateway, ztunnels, waypoints).")
    proxy_cpu_cores: float = Field(description="vCPU the proxies use at the measured load.")
    proxy_memory_mi_b: float = Field(alias="proxyMemoryMiB", description="Memory of the proxies.")
    exposure: float = Field(description="Share of entry requests touching a service onboarded now.")
    breakages: float = Field(0.0, description="Attempts refused by STRICT mTLS (plaintext client).")
    ci95: dict[str, float] = Field(default_factory=dict, description="95% half-widths by metric.")
    canary: dict[str, float] | None = Field(
        None, description="Canary share of each service meshed in part (absent: no canary)."
    )
    denials: float | None = Field(
        None, description="Attempts refused by AuthorizationPolicy (absent: none in force)."
    )
    proxy_cost_per_month: float | None = Field(
        None,
        description="(proxyCpuCores × vcpuHour + proxyMemoryMiB / 1024 × gibHour) × 730; "
        "absent without `cost`.",
    )

    series: Series | None = Field(
        None, description="Time series (SPEC §14), when simulation.series or run --series."
    )

    @model_serializer(mode="wrap")
    def _omit_unused(self, handler: SerializerFunctionWrapHandler) -> dict:
        # a run without series, canaries, authz or cost writes none of their keys, so
        # every other scenario's results document stays exactly what it was
        return _drop_unset(
            handler(self), PhaseResult, ("canary", "denials", "proxy_cost_per_month", "series")
        )


class Results(_Result):
    """The results document of ``meshsim run`` (SPEC §12.1)."""

    api_version: str = Field("meshsim/v1", description="Format version.")
    kind: str = Field("Results", description="Document kind.")
    meshsim_version: str = Field(description="meshsim version that produced it.")
    scenario: str = Field(description="Scenario name.")
    seed: int = Field(description="Seed of the run.")
    replications: int = Field(description="Replications averaged.")
    duration_s: float = Field(description="Simulated time per replication (s).")
    warmup_s: float = Field(description="Warm-up excluded from measurement (s).")
    phases: list[PhaseResult] = Field(description="Baseline first, then each phase.")


class OrderingScore(_Result):
    """Score of an ordering (SPEC §11.5)."""

    score: float = Field(description="Higher is better; see docs/planning.md for the weights.")
    slo_violations: int = Field(description="Phases × entrypoints with sloMet false.")
    breakages: int = Field(
        description="Phases with a connect-failure caused by STRICT, or with a 403 denial."
    )
    max_exposure: float = Field(description="Largest per-phase exposure.")
    mean_exposure: float = Field(description="Mean per-phase exposure over phases 1..K.")
    mtls_auc: float = Field(description="Mean mtlsCoverage over phases 1..K.")
    sensitive_mtls_auc: float = Field(description="The same over edges into sensitive services.")
    peak_proxy_cpu_cores: float = Field(description="Largest proxyCpuCores over phases.")
    p99_delta_ms: float = Field(description="Worst phase p99 − baseline p99 (ms).")
    violations: list[str] = Field(
        default_factory=list, description="rollout.constraints this ordering breaks."
    )
    terms: dict[str, float] = Field(
        default_factory=dict, description="Points of each term of the score (they sum to it)."
    )
    delta_vs_best: float | None = Field(
        None, description="score − the best ordering's score (≤ 0), mean of paired replications."
    )
    delta_ci95: float | None = Field(
        None, description="95% half-width of deltaVsBest over paired replications."
    )
    tied_with_best: bool | None = Field(
        None, description="The 95% interval of deltaVsBest contains 0 (not distinguishable)."
    )


class OrderingResult(_Result):
    """One ordering of ``meshsim compare``."""

    name: str = Field(description="Ordering name.")
    strategy: str = Field(description="Strategy that produced it ('named' for explicit phases).")
    phases: list[PhaseResult] = Field(description="Baseline first.")
    score: OrderingScore = Field(description="Its score.")
    plan: list[dict] = Field(default_factory=list, description="The phases it applies (wire form).")


class CompareResults(_Result):
    """The results document of ``meshsim compare``."""

    orderings: list[OrderingResult] = Field(description="Every ordering compared.")
    ranking: list[str] = Field(description="Ordering names, best first.")
    replications: dict[str, int] = Field(
        default_factory=dict, description="Replications each ordering got."
    )
    separated: bool | None = Field(
        None, description="The best is ahead of every other ordering with 95% confidence."
    )
    weights: dict[str, float] = Field(
        default_factory=dict, description="Weight of each score term here (0: equal for all)."
    )
    verdict: str = Field("", description="One sentence on why the best ordering wins.")

    def has_interval(self, name: str) -> bool:
        """Whether ``name``'s difference to the best has a 95% interval (≥ 2 paired runs).

        With one paired replication ``deltaCi95`` is 0 only for want of a spread:
        tables then show no interval rather than a confident "± 0.0".
        """
        best = self.ranking[0] if self.ranking else name
        pairs = min(self.replications.get(best, 0), self.replications.get(name, 0))
        return pairs >= 2


class BlastEntry(_Result):
    """Blast radius of one service (SPEC §11.4)."""

    blast_radius: float = Field(description="Extra bad entry requests under its outage / requests.")
    structural_blast_radius: float = Field(description="Share of entry requests that require it.")
    ci95: dict[str, float] = Field(default_factory=dict, description="95% half-widths.")


class BlastResults(_Result):
    """The results document of ``meshsim blast``."""

    phase: str = Field(description="Phase the blast radius was measured in.")
    services: dict[str, BlastEntry] = Field(description="Per service.")
    fault: str | None = Field(
        None, description="Fault type injected (SPEC §20); absent for the default outage."
    )

    @model_serializer(mode="wrap")
    def _omit_fault(self, handler: SerializerFunctionWrapHandler) -> dict:
        return _drop_unset(handler(self), BlastResults, ("fault",))
