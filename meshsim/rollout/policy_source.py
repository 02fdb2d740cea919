"""Which document field gives a host its effective policy in a phase.

:mod:`meshsim.rollout.state` merges ``mesh.defaults`` ← ``mesh.policies`` ← the
policies of phases 1..k field by field. To point a user at *the line to change*
(``meshsim lint``) we need the layer that last set a field for a host: this module
walks the same layers backwards.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from pydantic.alias_generators import to_camel

from models import Scenario
from models.base import Document
from models.mesh import Policy

__all__ = ["Loc", "policy_layers", "source_of", "tries_tokens"]

Loc = tuple[str | int, ...]

RETRYING_TOKENS = frozenset(
    {"5xx", "gateway-error", "reset", "connect-failure", "retriable-status-codes", "unavailable"}
)
"""retryOn tokens that retry some outcome of this model (SPEC §10.5)."""


def policy_layers(scenario: Scenario, index: int) -> Iterator[tuple[Loc, Policy]]:
    """Every policy layer in force after phase ``index``, last applied first."""
    phases = scenario.rollout.phases[:index]
    for k in range(len(phases) - 1, -1, -1):
        for j in range(len(phases[k].policies) - 1, -1, -1):
            yield ("rollout", "phases", k, "policies", j), phases[k].policies[j]
    for j in range(len(scenario.mesh.policies) - 1, -1, -1):
        yield ("mesh", "policies", j), scenario.mesh.policies[j]


def _sets(doc: Document, path: tuple[str, ...]) -> bool:
    node: object = doc
    for name in path:
        if not isinstance(node, Document) or name not in node.model_fields_set:
            return False
        node = getattr(node, name)
        if node is None:  # e.g. `retries: none` decides every field under it
            return True
    return True


@functools.cache  # a handful of paths, asked for thousands of times by lint
def _wire(path: tuple[str, ...]) -> Loc:
    return tuple(to_camel(p) for p in path)


def source_of(scenario: Scenario, index: int, host: str, path: tuple[str, ...]) -> Loc:
    """The field path of the layer that sets ``path`` (python names) for ``host``.

    Falls back to ``mesh.defaults`` (where the default would be written).

    Examples
    --------
    >>> s = Scenario.model_validate({
    ...     "services": [{"name": "a"}], "entrypoints": [{"name": "w", "service": "a", "rate": 1}],
    ...     "mesh": {"policies": [{"host": "a", "retries": {"attempts": 4}}]}})
    >>> source_of(s, 1, "a", ("retries", "attempts"))
    ('mesh', 'policies', 0, 'retries', 'attempts')
    >>> source_of(s, 1, "a", ("timeout",))
    ('mesh', 'defaults', 'timeout')
    """
    for loc, layer in policy_layers(scenario, index):
        if layer.host == host and _sets(layer, path):
            return (*loc, *_wire(path))
    return ("mesh", "defaults", *_wire(path))


def policy_loc(scenario: Scenario, index: int, host: str, path: tuple[str, ...]) -> Loc:
    """The policy (a layer, or ``mesh.defaults``) that sets ``path`` for ``host``."""
    for loc, layer in policy_layers(scenario, index):
        if layer.host == host and _sets(layer, path):
            return loc
    return ("mesh", "defaults")


def tries_tokens(policy: Policy) -> int:
    """Tries per logical call under ``policy``: 1 + attempts when something is retried."""
    retries = policy.retries
    if retries is None or retries.attempts == 0:
        return 1
    if not RETRYING_TOKENS.intersection(retries.retry_on):
        return 1
    return 1 + retries.attempts
