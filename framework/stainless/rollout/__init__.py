"""Canary rollouts: shift traffic to a new model version step by step, and decide when to stop.

``policy`` holds the knobs (``model.yaml``'s ``rollout`` key), ``statistics`` the sequential
test on error counts, and ``decision`` the pure ``decide`` function called on every tick. Those
three do no I/O, so the benchmark and the tests run exactly the production decision; endpoints,
persisted state and scheduling belong to the controller.
"""
