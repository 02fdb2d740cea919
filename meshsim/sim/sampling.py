"""Random streams named by purpose, and samplers of duration distributions.

Every stream is seeded from a stable digest of (seed, replication, purpose, name),
never from Python's ``hash()`` (which changes per process), so a run is the same
in every process and meshing one service does not shift the numbers another draws.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable, Iterator
from itertools import chain

import numpy as np

from models import Constant, Empirical, Exponential, Gamma, LogNormal, Uniform
from models.distributions import Distribution

__all__ = ["Sampler", "Streams", "is_zero", "make_sampler"]

Sampler = Callable[[], float]


class Streams:
    """A factory of independent ``random.Random`` generators for one replication.

    Examples
    --------
    >>> a = Streams(42, 0).get("arrivals", "web").random()
    >>> b = Streams(42, 0).get("arrivals", "web").random()
    >>> a == b
    True
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._cache: dict[tuple[str, str], random.Random] = {}

    def get(self, purpose: str, name: str) -> random.Random:
        """The generator for ``purpose`` of ``name`` (same object on repeated calls)."""
        key = (purpose, name)
        rng = self._cache.get(key)
        if rng is None:
            text = f"{self.seed}/{self.replication}/{purpose}/{name}".encode()
            digest = hashlib.blake2b(text, digest_size=8).digest()
            rng = random.Random(int.from_bytes(digest, "big"))
            self._cache[key] = rng
        return rng


def is_zero(dist: Distribution) -> bool:
    """True for a constant zero duration (no event needs to be scheduled for it)."""
    return isinstance(dist, Constant) and dist.value == 0.0


BLOCK = 64
"""Draws made at once per sampler: numpy fills a block, the engine takes them one by one."""


def make_sampler(dist: Distribution, rng: random.Random | Callable[[], random.Random]) -> Sampler:
    """A function drawing durations in seconds from ``dist``, seeded by ``rng``.

    ``rng`` may be a function returning the stream: it is then called at the first
    draw only (a sampler that never draws never makes its stream).

    Random durations are drawn by numpy in blocks of :data:`BLOCK` from a generator
    seeded once from ``rng`` (one 64-bit draw, at the first draw), and handed
    out one at a time by ``itertools.chain``: a draw costs a C-level ``next`` instead
    of Python's ``random.gauss`` (a fifth of the time on lognormal service times).
    ``rng`` is the sampler's own stream, so the numbers stay independent of every
    other stream and the same in every process.

    Examples
    --------
    >>> from models import Constant
    >>> make_sampler(Constant.model_validate({"value": "5ms"}), random.Random(1))()
    0.005
    >>> d = LogNormal.model_validate({"dist": "lognormal", "median": "3ms", "p99": "20ms"})
    >>> a, b = make_sampler(d, random.Random(7)), make_sampler(d, random.Random(7))
    >>> [a() for _ in range(100)] == [b() for _ in range(100)]
    True
    """
    if isinstance(dist, Constant):
        value = dist.value
        return lambda: value
    if isinstance(dist, Exponential) and not dist.mean > 0:
        return lambda: 0.0
    return chain.from_iterable(_blocks(dist, rng)).__next__


def _blocks(
    dist: Distribution, rng: random.Random | Callable[[], random.Random]
) -> Iterator[list[float]]:
    """Endless blocks of draws from ``dist``.

    Lazy: the numpy generator is made (and seeded from ``rng``, the sampler's own
    stream) at the first draw, so the samplers of links that never draw (a proxy that
    is not there, a call never made) cost nothing on a graph of thousands of services.
    """
    stream = rng if isinstance(rng, random.Random) else rng()
    gen = np.random.Generator(np.random.PCG64(stream.getrandbits(64)))
    n = BLOCK
    if isinstance(dist, Exponential):
        mean = dist.mean
        while True:
            yield gen.exponential(mean, n).tolist()
    if isinstance(dist, Uniform):
        low, high = dist.low, dist.high
        while True:
            yield gen.uniform(low, high, n).tolist()
    if isinstance(dist, LogNormal):
        mu, sigma = math.log(dist.median), dist.sigma
        while True:
            yield np.exp(mu + sigma * gen.standard_normal(n)).tolist()
    if isinstance(dist, Gamma):
        shape, scale = 1.0 / dist.cv**2, dist.mean * dist.cv**2
        while True:
            yield gen.gamma(shape, scale, n).tolist()
    if isinstance(dist, Empirical):
        samples = np.asarray(dist.samples, dtype=float)
        while True:
            yield samples[gen.integers(0, len(samples), n)].tolist()
    raise TypeError(f"unknown distribution {dist!r}")
