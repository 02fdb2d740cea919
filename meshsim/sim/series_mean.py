"""Average the time series of R replications (SPEC §14), bucket by bucket.

The per-replication series are :class:`~meshsim.sim.samples.SeriesSample` records made
by :class:`meshsim.sim.series.SeriesRecorder`; :func:`mean_series` turns them into the
:class:`~models.results.Series` of a phase result.
"""

from __future__ import annotations

from meshsim.sim.samples import SeriesSample
from models.results import EdgeSeries, EntrySeries, Series, ServiceSeries

__all__ = ["mean_series"]


def mean_series(samples: list[SeriesSample | None]) -> Series | None:
    """The series of R replications averaged bucket by bucket (None if none was kept).

    A p50/p99 is the mean over the replications where the bucket had a finished
    request (None in none); an edge missing from a replication counts 0 there.
    """
    present = [s for s in samples if s is not None]
    if not present:
        return None
    first = present[0]

    def mean(rows: list[list[float | None]]) -> list[float | None]:
        out: list[float | None] = []
        for values in zip(*rows, strict=True):
            kept = [v for v in values if v is not None]
            out.append(sum(kept) / len(kept) if kept else None)
        return out

    entries = {
        name: EntrySeries(
            **{m: mean([s.entrypoints[name][m] for s in present]) for m in first.entrypoints[name]}
        )
        for name in first.entrypoints
    }
    services = {
        name: ServiceSeries(
            **{m: mean([s.services[name][m] for s in present]) for m in first.services[name]}
        )
        for name in first.services
    }
    zeros = [0.0] * len(first.t)
    keys = sorted({k for s in present for k in s.edges})
    edges = [
        EdgeSeries(
            from_=key[0],
            to=key[1],
            **{
                m: mean([s.edges[key][m] if key in s.edges else zeros for s in present])
                for m in ("calls", "attempts", "failures")
            },
        )
        for key in keys
    ]
    return Series(
        bucket_s=first.bucket_s, t=first.t, entrypoints=entries, services=services, edges=edges
    )
