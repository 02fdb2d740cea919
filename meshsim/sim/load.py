"""Load over time (SPEC §14): an entrypoint's rate as a function of simulated time.

A :class:`LoadCurve` is piecewise linear (points with ramps, the ``spike`` shorthand)
or a sine around the base rate. :func:`arrival_gaps` turns it into the gaps between
arrivals: a non-homogeneous Poisson process by thinning (Lewis & Shedler, 1979), or
``constant`` arrivals spaced ``1 / rate(t)``. Entrypoints without ``load`` keep the
homogeneous samplers of :class:`meshsim.sim.model.Runtime`, so their results do not
change by a bit.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from collections.abc import Callable

from models.load import LoadPoint, SineLoad, SpikeLoad
from models.services import Entrypoint

__all__ = ["LoadCurve", "arrival_gaps", "load_curve", "mean_rate"]


class LoadCurve:
    """The rate (requests/s) of one entrypoint at each simulated time (seconds).

    Piecewise linear: segment ``k`` starts at ``starts[k]`` with rate ``rates[k]`` and
    changes by ``slopes[k]`` per second until the next start (the last one lasts
    forever). With ``sine`` = (amplitude, period) the rate is instead
    ``base · (1 + amplitude · sin(2πt / period))``.

    Examples
    --------
    >>> c = load_curve(100.0, [LoadPoint(at="10s", rate=300.0, ramp="10s")])
    >>> c.rate_at(5.0), c.rate_at(15.0), c.rate_at(30.0)
    (100.0, 200.0, 300.0)
    >>> c.integral(0.0, 20.0)
    3000.0
    """

    __slots__ = ("base", "starts", "rates", "slopes", "sine")

    def __init__(
        self,
        base: float,
        knots: list[tuple[float, float, float]],
        sine: tuple[float, float] | None = None,
    ) -> None:
        self.base = base
        self.starts = [k[0] for k in knots]
        self.rates = [k[1] for k in knots]
        self.slopes = [k[2] for k in knots]
        self.sine = sine

    def segment_end(self, k: int) -> float:
        """When segment ``k`` ends (infinity for the last)."""
        return self.starts[k + 1] if k + 1 < len(self.starts) else math.inf

    def rate_at(self, t: float) -> float:
        """The rate at time ``t``."""
        if self.sine is not None:
            amplitude, period = self.sine
            return self.base * (1.0 + amplitude * math.sin(2.0 * math.pi * t / period))
        k = bisect_right(self.starts, t) - 1
        return self.rates[k] + self.slopes[k] * (t - self.starts[k])

    def peak(self, k: int) -> float:
        """The largest rate of segment ``k`` (the thinning bound there)."""
        if self.sine is not None:
            return self.base * (1.0 + self.sine[0])
        end = self.segment_end(k)
        if self.slopes[k] == 0.0 or math.isinf(end):
            return self.rates[k]
        return max(self.rates[k], self.rates[k] + self.slopes[k] * (end - self.starts[k]))

    def integral(self, a: float, b: float) -> float:
        """Expected arrivals in [a, b): the integral of the rate."""
        if self.sine is not None:
            amplitude, period = self.sine
            w = 2.0 * math.pi / period
            return self.base * ((b - a) - amplitude / w * (math.cos(w * b) - math.cos(w * a)))
        total = 0.0
        for k, start in enumerate(self.starts):
            lo, hi = max(a, start), min(b, self.segment_end(k))
            if hi > lo:
                r_lo = self.rates[k] + self.slopes[k] * (lo - start)
                r_hi = self.rates[k] + self.slopes[k] * (hi - start)
                total += (r_lo + r_hi) / 2.0 * (hi - lo)
        return total

    def changes(self) -> list[float]:
        """Times where the load changes (segment starts after 0), for shading plots."""
        return [t for t in self.starts if t > 0.0]


def load_curve(base: float, load: list[LoadPoint] | SpikeLoad | SineLoad) -> LoadCurve:
    """Compile an entrypoint's ``rate`` and ``load`` into a :class:`LoadCurve`."""
    if isinstance(load, SineLoad):
        return LoadCurve(base, [(0.0, base, 0.0)], (load.amplitude, load.period))
    if isinstance(load, SpikeLoad):
        points = [(load.at, load.peak, 0.0), (load.at + load.duration, base, 0.0)]
    else:
        points = [(p.at, p.rate, p.ramp) for p in load]
    knots: list[tuple[float, float, float]] = [(0.0, base, 0.0)]
    current = base
    for at, rate, ramp in points:
        if ramp > 0.0:
            _add(knots, at, current, (rate - current) / ramp)
            _add(knots, at + ramp, rate, 0.0)
        else:
            _add(knots, at, rate, 0.0)
        current = rate
    return LoadCurve(base, knots)


def mean_rate(entry: Entrypoint, duration_s: float) -> float:
    """An entrypoint's mean arrival rate over ``[0, duration_s)`` (its ``rate`` without load).

    Examples
    --------
    >>> from models import Entrypoint
    >>> e = Entrypoint.model_validate({"name": "w", "service": "a", "rate": 100,
    ...     "load": {"shape": "spike", "peak": 300, "at": "10s", "duration": "10s"}})
    >>> mean_rate(e, 40.0)
    150.0
    """
    if entry.load is None or duration_s <= 0:
        return entry.rate
    return load_curve(entry.rate, entry.load).integral(0.0, duration_s) / duration_s


def _add(knots: list[tuple[float, float, float]], at: float, rate: float, slope: float) -> None:
    if knots[-1][0] == at:  # a segment of zero length: the later one wins
        knots.pop()
    knots.append((at, rate, slope))


def arrival_gaps(curve: LoadCurve, rng: random.Random, poisson: bool) -> Callable[[], float]:
    """The gaps between successive arrivals from time 0, drawn from ``rng``.

    Poisson: thinning per segment. Candidates come at the segment's peak rate ``M``
    and are kept with probability ``rate(t) / M``; a candidate past the segment's end
    is dropped and drawing restarts there (the exponential is memoryless), so a
    constant segment needs no rejection draw at all. Constant: the next arrival
    comes ``1 / rate(t)`` after the one at ``t``.
    """
    state = [0.0, 0]  # time of the last arrival, its segment
    rate_at, expo, uniform = curve.rate_at, rng.expovariate, rng.random

    if not poisson:

        def constant_gap() -> float:
            gap = 1.0 / rate_at(state[0])
            state[0] += gap
            return gap

        return constant_gap

    sine = curve.sine is not None
    peaks = [curve.peak(k) for k in range(len(curve.starts))]
    ends = [curve.segment_end(k) for k in range(len(curve.starts))]
    flat = [curve.slopes[k] == 0.0 and not sine for k in range(len(curve.starts))]

    def poisson_gap() -> float:
        last, k = state
        t = last
        while True:
            bound = peaks[k]
            t += expo(bound)
            if t >= ends[k]:
                t = ends[k]
                k += 1
                continue
            if flat[k] or uniform() * bound <= rate_at(t):
                state[0], state[1] = t, k
                return t - last

    return poisson_gap
