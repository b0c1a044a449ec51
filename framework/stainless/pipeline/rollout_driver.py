"""Drive a rollout to its end from one process (`stainless run`, `stainless rollout run`).

With ``traffic`` the validation rows of the run are replayed against the local endpoint between
ticks — the demo's stand-in for live traffic. Without it the loop only ticks, for an endpoint
that has real clients.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from stainless.pipeline.rollout_controller import tick
from stainless.pipeline.rollout_state import RolloutState, load_state
from stainless.pipeline.stages.evaluate import rows_as_requests
from stainless.pipeline.stages.preprocess import load_split
from stainless.rollout.settings import tick_seconds
from stainless.workspace import Workspace

log = logging.getLogger("stainless.rollout")


def drive_rollout(
    project: Workspace,
    run_id: str,
    traffic: bool = True,
    rate: float = 200.0,
    on_tick: Callable[[RolloutState], None] | None = None,
) -> RolloutState:
    state = load_state(project.store, run_id)
    if state is None or state.done:
        return tick(project, run_id) if state is None else state
    interval = tick_seconds(project.config)
    requests = []
    if traffic:
        from stainless.pipeline.replay import drive

        validation = load_split(project, run_id, "validation")
        requests = rows_as_requests(validation, project.config.target)
    deadline = state.rollout_started_at + float(state.policy["max_duration_seconds"]) + 3 * interval
    while not state.done:
        if traffic:
            drive(
                project.endpoint.url,
                requests,
                rate=rate,
                duration=interval,
                endpoint_name=project.name,
            )
        else:
            time.sleep(interval)
        state = tick(project, run_id)
        if on_tick:
            on_tick(state)
        if time.time() > deadline and not state.done:
            # decide() applies on_inconclusive at the deadline; "pause" waits for a person.
            log.warning("rollout of %s is past its deadline and %s", run_id, state.summary)
            break
    return state
