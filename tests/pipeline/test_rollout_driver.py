"""Driving a rollout to its end from one process, with the run's validation rows replayed as
traffic between ticks (the decisions themselves: test_rollout_controller.py)."""

from __future__ import annotations

from stainless.pipeline.rollout_driver import drive_rollout
from stainless.pipeline.rollout_state import load_state


def test_a_healthy_canary_is_driven_to_promotion(canary):
    project, _ = canary
    seen = []
    state = drive_rollout(project, "r2", traffic=True, rate=400, on_tick=seen.append)
    assert state.done and state.state == "promoted", state.summary
    assert [s.weight for s in seen][-1] == 100.0 and len(seen) == len(state.ticks)
    assert sum(t["candidate"]["requests"] for t in state.ticks) >= 600
    # A rollout that has ended is returned as it is, without another tick.
    assert drive_rollout(project, "r2") == load_state(project.store, "r2")
