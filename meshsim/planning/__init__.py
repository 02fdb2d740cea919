"""Rollout planning: candidate orderings, their score and ranking, and blast radius.

``strategies`` generates orderings (SPEC §7), ``scoring`` scores and ranks them
(SPEC §11.5), ``search`` is the ``optimized`` strategy, ``compare`` simulates the
candidates on common random numbers, ``explain`` puts a ranking into words, ``blast``
measures each service's outage.
Built on :mod:`meshsim.sim`; knows nothing of reports, file formats or the CLI.
"""
