"""The rollout as data: what a phase of the plan puts in force, and the call graph.

Owns the rules that every other part reads instead of re-deriving them: cumulative
meshing, mTLS precedence, the gateway rule and the merged policy per host
(:mod:`meshsim.rollout.state`), and the graph analysis behind depths, cycles, layouts
and analytic traffic (:mod:`meshsim.rollout.graph`, the one networkx module).
Imports only :mod:`models` and :mod:`meshsim.errors`.
"""
