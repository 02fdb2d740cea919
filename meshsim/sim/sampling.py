"""Random streams named by purpose, and samplers of duration distributions.

Every stream is seeded from a stable digest of (seed, replication, purpose, name),
never from Python's ``hash()`` (which changes per process), so a run is the same
in every process and meshing one service does not shift the numbers another draws.
"""

from __future__ import annotations

import hashlib
import math
import random
from array import array
from collections.abc import Callable, Iterator
from itertools import chain
from typing import Any

import numpy as np

from models import Constant, Empirical, Exponential, Gamma, LogNormal, Uniform
from models.distributions import Distribution

__all__ = ["Sampler", "Streams", "Uniforms", "is_zero", "make_sampler"]

Sampler = Callable[[], float]


class Streams:
    """A factory of independent random streams for one replication.

    :meth:`get` gives a ``random.Random`` (single draws: routing, call probabilities,
    errors); :meth:`sampler` a sampler of durations drawn by numpy in blocks. Both are
    keyed by (purpose, name), so a stream depends on its name only.

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
        self._gen: np.random.Generator | None = None
        # a distribution's block parameters, by object: most links share a few
        # distributions (a service's time, the proxy's latency), thousands of streams
        self._params: dict[int, tuple[Distribution, _Params | Sampler]] = {}

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

    def state(self, purpose: str, name: str) -> int:
        """A 256-bit seed for the sampler of ``purpose`` of ``name`` (see :meth:`sampler`).

        A digest of another size than :meth:`get`'s, so the two never share bits.
        """
        text = f"{self.seed}/{self.replication}/{purpose}/{name}".encode()
        return int.from_bytes(hashlib.blake2b(text, digest_size=32).digest(), "big")

    def sampler(self, dist: Distribution, purpose: str, name: str) -> Sampler:
        """A sampler of ``dist`` with its own stream, seeded at its first draw."""
        known = self._params.get(id(dist))
        if known is None or known[0] is not dist:
            known = self._params[id(dist)] = (dist, _params(dist))
        params = known[1]
        if not isinstance(params, tuple):
            return params  # a constant: no stream
        kind, a, b, samples = params
        blocks = _blocks(kind, a, b, samples, self, purpose, name, self._shared())
        return chain.from_iterable(blocks).__next__

    def uniforms(self, purpose: str, name: str) -> Uniforms:
        """Uniform draws of ``purpose`` of ``name``, from its own stream (see :class:`Uniforms`)."""
        blocks = _blocks(_RANDOM, 0.0, 0.0, None, self, purpose, name, self._shared())
        return Uniforms(chain.from_iterable(blocks).__next__)

    def _shared(self) -> np.random.Generator:
        if self._gen is None:
            self._gen = np.random.Generator(np.random.SFC64(0))
        return self._gen


class Uniforms:
    """A stream of uniform numbers in [0, 1), drawn by numpy in blocks like a sampler.

    It has the two methods of ``random.Random`` the engine draws with, and costs less
    to make (a ``random.Random`` seeds a 2.5 KB Mersenne Twister state): a link's
    replica choices and call-probability draws on a graph of thousands of services.

    Examples
    --------
    >>> u = Streams(42, 0).uniforms("calls", "web>api")
    >>> v = Streams(42, 0).uniforms("calls", "web>api")
    >>> xs = [u.random() for _ in range(100)]
    >>> xs == [v.random() for _ in range(100)] and all(0 <= x < 1 for x in xs)
    True
    >>> sorted({u.randrange(3) for _ in range(100)})
    [0, 1, 2]
    """

    __slots__ = ("random",)

    def __init__(self, draw: Sampler) -> None:
        self.random = draw
        """The next number, uniform in [0, 1)."""

    def randrange(self, n: int) -> int:
        """A number in ``range(n)``, each equally likely (to within 2**-53)."""
        return int(self.random() * n)


def is_zero(dist: Distribution) -> bool:
    """True for a constant zero duration (no event needs to be scheduled for it)."""
    return isinstance(dist, Constant) and dist.value == 0.0


FIRST_BLOCK = 16
"""Draws in a sampler's first block; each next block is 4 times larger, up to :data:`BLOCK`."""
BLOCK = 256
"""Most draws made at once per sampler: numpy fills a block, the engine takes them one by one."""


def make_sampler(
    dist: Distribution,
    seed: int | tuple[Streams, str, str],
    gen: np.random.Generator | None = None,
) -> Sampler:
    """A function drawing durations in seconds from ``dist``, from its own stream.

    ``seed`` is the sampler's own SFC64 stream: its four state words, as an integer
    of up to 256 bits, or ``(streams, purpose, name)`` to take :meth:`Streams.state`
    at the first draw (a sampler that never draws costs nothing). ``gen`` is a numpy
    generator the sampler borrows for each block: it loads its own state into
    ``gen``'s bit generator, draws the block and keeps the state that follows, so
    samplers sharing ``gen`` never share numbers. (Making a numpy generator costs about
    as much as a hundred draws; on a graph of thousands of services most samplers draw
    only a few times.)

    Random durations are drawn in blocks (:data:`FIRST_BLOCK`, then 4 times larger up
    to :data:`BLOCK`) and handed out one at a time by ``itertools.chain``: a draw
    costs a C-level ``next`` instead of Python's ``random.gauss``. A block is an
    ``array.array`` (8 bytes a number, and no object the garbage collector tracks).

    Examples
    --------
    >>> from models import Constant
    >>> make_sampler(Constant.model_validate({"value": "5ms"}), 1)()
    0.005
    >>> d = LogNormal.model_validate({"dist": "lognormal", "median": "3ms", "p99": "20ms"})
    >>> shared = np.random.Generator(np.random.SFC64(0))
    >>> a, b = make_sampler(d, 7, shared), make_sampler(d, 8, shared)
    >>> pairs = [(a(), b()) for _ in range(500)]  # interleaved, over several blocks
    >>> alone = make_sampler(d, 7)
    >>> [x for x, _ in pairs] == [alone() for _ in range(500)]
    True
    """
    params = _params(dist)
    if not isinstance(params, tuple):
        return params  # a constant: no stream
    if gen is None:
        gen = np.random.Generator(np.random.SFC64(0))
    kind, a, b, samples = params
    if isinstance(seed, int):
        blocks = _blocks(kind, a, b, samples, seed, "", "", gen)
    else:
        blocks = _blocks(kind, a, b, samples, *seed, gen)
    return chain.from_iterable(blocks).__next__


_RANDOM, _UNIFORM, _EXPONENTIAL, _LOGNORMAL, _GAMMA, _EMPIRICAL = range(6)

_Params = tuple[int, float, float, "np.ndarray | None"]


def _params(dist: Distribution) -> _Params | Sampler:
    """What :func:`_draw` needs for ``dist``: kind, two parameters, samples.

    A constant gets its sampler instead: it draws nothing.
    """
    if isinstance(dist, Constant):
        value = dist.value
        return lambda: value
    if isinstance(dist, Exponential):
        if not dist.mean > 0:
            return lambda: 0.0
        return _EXPONENTIAL, dist.mean, 0.0, None
    if isinstance(dist, Uniform):
        return _UNIFORM, dist.low, dist.high, None
    if isinstance(dist, LogNormal):
        return _LOGNORMAL, math.log(dist.median), dist.sigma, None
    if isinstance(dist, Gamma):
        return _GAMMA, 1.0 / dist.cv**2, dist.mean * dist.cv**2, None
    if isinstance(dist, Empirical):
        return _EMPIRICAL, 0.0, 0.0, np.asarray(dist.samples, dtype=float)
    raise TypeError(f"unknown distribution {dist!r}")


def _draw(
    gen: np.random.Generator, kind: int, a: float, b: float, samples: np.ndarray | None, n: int
) -> np.ndarray:
    if kind == _RANDOM:
        return gen.random(n)
    if kind == _LOGNORMAL:
        return gen.lognormal(a, b, n)
    if kind == _EXPONENTIAL:
        return gen.exponential(a, n)
    if kind == _GAMMA:
        return gen.gamma(a, b, n)
    if kind == _UNIFORM:
        return gen.uniform(a, b, n)
    assert samples is not None
    return samples[gen.integers(0, len(samples), n)]


_WORD = (1 << 64) - 1


def _blocks(
    kind: int,
    a: float,
    b: float,
    samples: np.ndarray | None,
    streams: Streams | int,
    purpose: str,
    name: str,
    gen: np.random.Generator,
) -> Iterator[array[float]]:
    """Endless blocks of draws of a distribution, made in ``gen``.

    The stream is ``streams`` when it is an integer, else ``streams.state(purpose,
    name)``, taken at the first draw. Between blocks the stream lives in this
    generator as the bit generator's state, in plain ints. The parameters are
    arguments, not closures, so a stream is a handful of objects.
    """
    key = streams if isinstance(streams, int) else streams.state(purpose, name)
    bits = gen.bit_generator
    # the stream between blocks: SFC64's four state words (its counter last) and its
    # buffered 32-bit half, not the state dict: thousands of streams on a large graph
    words: Any = [key & _WORD, (key >> 64) & _WORD, (key >> 128) & _WORD, key >> 192]
    has_half, half = 0, 0
    n = FIRST_BLOCK
    while True:
        bits.state = {
            "bit_generator": "SFC64",
            "state": {"state": words},
            "has_uint32": has_half,
            "uinteger": half,
        }
        block = array("d", _draw(gen, kind, a, b, samples, n).tobytes())
        state = bits.state  # before any other stream uses the generator
        words, has_half, half = state["state"]["state"], state["has_uint32"], state["uinteger"]
        del state
        yield block
        if n < BLOCK:
            n *= 4
