"""How an attempt or a call can end (SPEC §10.4), and the sets the mesh rules read.

One ``IntEnum`` and every set derived from it live here: which outcomes are rejected
before a replica, which count as failures for outlier detection, which each Envoy
``retryOn`` token matches. The engine indexes tuples by outcome in its hot loop, so the
values are the small integers 0..7 and must not change (results depend on them only
through these sets, but cached runs and tests compare numbers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum
from types import MappingProxyType

__all__ = [
    "GRPC_RETRY_ON_TOKENS",
    "GRPC_STATUS",
    "OUTCOMES",
    "OUTLIER_FAILURES",
    "REJECTED",
    "RETRY_ON_TOKENS",
    "STATUS_OUTCOMES",
    "Outcome",
    "flags",
    "retry_mask",
]


class Outcome(IntEnum):
    """The end of one attempt (or of a logical call: its last attempt's outcome)."""

    OK = 0
    ERROR = 1  # the replica answered 500
    UNAVAILABLE = 2  # 503: queue full, no healthy upstream
    TIMEOUT = 3  # 504: per-try, route or application timeout
    RESET = 4  # the pod crashed under the request
    CONNECT_FAILURE = 5  # refused: replica down, or plaintext to a STRICT server
    OVERFLOW = 6  # the client's connection pool had no room (never retried)
    DENIED = 7  # 403: the server's AuthorizationPolicy refused the caller (never retried)


OUTCOMES: tuple[str, ...] = (
    "ok",
    "error",
    "unavailable",
    "timeout",
    "reset",
    "connect-failure",
    "overflow",
    "denied",
)
"""Wire names, indexed by :class:`Outcome`."""

REJECTED: frozenset[Outcome] = frozenset(
    {Outcome.UNAVAILABLE, Outcome.CONNECT_FAILURE, Outcome.OVERFLOW}
)
"""Counted as ``rejected`` of the service an attempt was addressed to (SPEC §11.2)."""

OUTLIER_FAILURES: frozenset[Outcome] = frozenset(
    {Outcome.ERROR, Outcome.UNAVAILABLE, Outcome.TIMEOUT, Outcome.RESET, Outcome.CONNECT_FAILURE}
)
"""Outcomes that count as consecutive 5xx for outlier detection (overflow is local)."""

RETRY_ON_TOKENS: Mapping[str, frozenset[Outcome]] = MappingProxyType(
    {
        "5xx": frozenset(
            {
                Outcome.ERROR,
                Outcome.UNAVAILABLE,
                Outcome.TIMEOUT,
                Outcome.RESET,
                Outcome.CONNECT_FAILURE,
            }
        ),
        # router's wouldRetryFromReset: 5xx and gateway-error retry every reset, connect
        # failures included (retry_state_impl.cc)
        "gateway-error": frozenset(
            {Outcome.UNAVAILABLE, Outcome.TIMEOUT, Outcome.RESET, Outcome.CONNECT_FAILURE}
        ),
        "reset": frozenset({Outcome.RESET, Outcome.CONNECT_FAILURE, Outcome.TIMEOUT}),
        "connect-failure": frozenset({Outcome.CONNECT_FAILURE}),
    }
)
"""Outcomes each plain ``retryOn`` token matches (SPEC §10.5)."""

RESPONSES: frozenset[Outcome] = frozenset({Outcome.ERROR, Outcome.UNAVAILABLE})
"""Outcomes the server *answers* (a status); the others are resets or local to the client."""

GRPC_STATUS: Mapping[Outcome, tuple[str, int]] = MappingProxyType(
    {Outcome.ERROR: ("INTERNAL", 13), Outcome.UNAVAILABLE: ("UNAVAILABLE", 14)}
)
"""The grpc-status a ``grpc`` server answers for each response outcome (docs/envoy.md).

A gRPC server answers HTTP ``:status`` 200 and reports failure in grpc-status (a
trailers-only response when it fails before any message), so ``5xx``, ``gateway-error``
and ``retriable-status-codes``, which read ``:status``, never match it. ``error`` (the
server failed) carries INTERNAL (**choice**: a framework reporting an uncaught exception
as UNKNOWN would be retried by no token); ``unavailable`` (a full queue) carries
UNAVAILABLE, as Envoy's own local 503 does for a gRPC request (``httpToGrpcStatus``).
"""

GRPC_RETRY_ON_TOKENS: Mapping[str, frozenset[Outcome]] = MappingProxyType(
    {
        "internal": frozenset({Outcome.ERROR}),
        "unavailable": frozenset({Outcome.UNAVAILABLE}),
        # no outcome of this model carries CANCELLED, DEADLINE_EXCEEDED or RESOURCE_EXHAUSTED
        "cancelled": frozenset(),
        "deadline-exceeded": frozenset(),
        "resource-exhausted": frozenset(),
    }
)
"""Outcomes of a ``grpc`` server each gRPC ``retryOn`` token matches (grpc-status in the
response headers, ``wouldRetryFromHeaders``); from an ``http`` server they match nothing."""

STATUS_OUTCOMES: Mapping[int, Outcome] = MappingProxyType(
    {500: Outcome.ERROR, 503: Outcome.UNAVAILABLE}
)
"""The HTTP status of each outcome that is a *response*, for ``retriable-status-codes``.

A timeout is the client's own: Envoy resets the stream (router.cc onPerTryTimeoutCommon)
and no 504 response exists for ``retriable-status-codes`` to match.
"""


def flags(outcomes: Iterable[Outcome]) -> tuple[bool, ...]:
    """A tuple indexed by outcome: True for the members of ``outcomes`` (hot-loop lookup).

    Examples
    --------
    >>> flags(REJECTED)
    (False, False, True, False, False, True, True, False)
    """
    members = frozenset(outcomes)
    return tuple(o in members for o in Outcome)


def retry_mask(tokens: list[str], status_codes: list[int], grpc_server: bool) -> frozenset[Outcome]:
    """Outcomes retried under Envoy ``retryOn`` tokens (SPEC §10.5); overflow never is.

    Toward a ``grpc`` server (``grpc_server``) the server's answers carry a grpc-status
    (:data:`GRPC_STATUS`) under HTTP 200: the HTTP tokens keep only what they retry from
    a reset (timeout, reset, connect-failure) and the gRPC tokens
    (:data:`GRPC_RETRY_ON_TOKENS`) match the answers. Toward an ``http`` server the
    gRPC tokens match nothing (no grpc-status header).

    Examples
    --------
    >>> sorted(OUTCOMES[o] for o in retry_mask(["gateway-error"], [], False))
    ['connect-failure', 'reset', 'timeout', 'unavailable']
    >>> sorted(OUTCOMES[o] for o in retry_mask(["retriable-status-codes"], [503, 504], False))
    ['unavailable']
    >>> sorted(OUTCOMES[o] for o in retry_mask(["5xx"], [], True))
    ['connect-failure', 'reset', 'timeout']
    >>> sorted(OUTCOMES[o] for o in retry_mask(["internal", "unavailable"], [], True))
    ['error', 'unavailable']
    """
    mask: set[Outcome] = set()
    for token in tokens:
        http = set(RETRY_ON_TOKENS.get(token, frozenset()))
        if token == "retriable-status-codes":
            http |= {STATUS_OUTCOMES[c] for c in status_codes if c in STATUS_OUTCOMES}
        if grpc_server:
            mask |= (http - RESPONSES) | GRPC_RETRY_ON_TOKENS.get(token, frozenset())
        else:
            mask |= http
    mask.discard(Outcome.OVERFLOW)
    mask.discard(Outcome.DENIED)  # a 403 is the server's answer about the caller: final
    return frozenset(mask)
