"""What a person does to a rollout from the command line, each as one library call: end it by
hand (abort / promote) and settle it (finalize), or drive it to its end and settle it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stainless.pipeline.rollout_state import RolloutState, load_state
from stainless.pipeline.stages.finalize import FinalizeResult
from stainless.workspace import Workspace


@dataclass(frozen=True)
class RolloutOutcome:
    state: RolloutState
    finalized: FinalizeResult | None  # None when the rollout has not ended


def abort_and_finalize(project: Workspace, run_id: str, reason: str) -> RolloutOutcome:
    from stainless.pipeline.rollout_controller import abort

    abort(project, run_id, reason)
    return _finalized(project, run_id)


def promote_and_finalize(project: Workspace, run_id: str, reason: str) -> RolloutOutcome:
    from stainless.pipeline.rollout_controller import force_promote

    force_promote(project, run_id, reason)
    return _finalized(project, run_id)


def run_and_finalize(
    project: Workspace,
    run_id: str,
    traffic: bool = False,
    rate: float = 200.0,
    on_tick: Callable[[RolloutState], None] | None = None,
) -> RolloutOutcome:
    """Tick until the rollout ends, then finalize it (registry, losing variant, Slack); a
    rollout still waiting (paused past its deadline) is left as it is."""
    from stainless.pipeline.rollout_driver import drive_rollout

    state = drive_rollout(project, run_id, traffic=traffic, rate=rate, on_tick=on_tick)
    if not state.done:
        return RolloutOutcome(state, None)
    return _finalized(project, run_id)


def _finalized(project: Workspace, run_id: str) -> RolloutOutcome:
    from stainless.pipeline.stages import Finalize

    record = Finalize().run(project, run_id)
    state = load_state(project.store, run_id)
    assert state is not None  # finalize ran on it
    return RolloutOutcome(state, record)
