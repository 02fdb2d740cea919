"""Random streams named by purpose, and samplers of duration distributions.

Every stream is seeded from a stable digest of (seed, replication, purpose, name),
never from Python's ``hash()`` (which changes per process), so a run is the same
in every process and meshing one service does not shift the numbers another draws.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable

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


def make_sampler(dist: Distribution, rng: random.Random) -> Sampler:
    """A function drawing durations in seconds from ``dist`` with ``rng``.

    Examples
    --------
    >>> from models import Constant
    >>> make_sampler(Constant.model_validate({"value": "5ms"}), random.Random(1))()
    0.005
    """
    if isinstance(dist, Constant):
        value = dist.value
        return lambda: value
    if isinstance(dist, Exponential):
        rate = 1.0 / dist.mean if dist.mean > 0 else math.inf
        if rate == math.inf:
            return lambda: 0.0
        expo = rng.expovariate
        return lambda: expo(rate)
    if isinstance(dist, Uniform):
        low, high, uni = dist.low, dist.high, rng.uniform
        return lambda: uni(low, high)
    if isinstance(dist, LogNormal):
        # exp(mu + sigma * N(0,1)) with gauss(): same law as lognormvariate, faster
        mu, sigma, gauss, exp = math.log(dist.median), dist.sigma, rng.gauss, math.exp
        return lambda: exp(mu + sigma * gauss())
    if isinstance(dist, Gamma):
        shape, scale, gam = 1.0 / dist.cv**2, dist.mean * dist.cv**2, rng.gammavariate
        return lambda: gam(shape, scale)
    if isinstance(dist, Empirical):
        samples, choice = list(dist.samples), rng.choice
        return lambda: choice(samples)
    raise TypeError(f"unknown distribution {dist!r}")
