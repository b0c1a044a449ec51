"""Canary rollouts: shift traffic to a new model version step by step, and decide when to stop.

``policy`` holds the knobs (``model.yaml``'s ``rollout`` key, defined in its schema),
``observations`` the per-tick counts, ``statistics`` the sequential test on error counts,
``latency`` the latency guard, ``decision`` the pure ``decide`` function called on every tick,
``feasibility`` the check that the traffic can reach the minimum sample in time, and
``single_look`` the plain statistics shown to people. Those do no I/O, so the benchmark and the
tests run exactly the production decision; endpoints, persisted state and scheduling belong to
the controller.
"""
