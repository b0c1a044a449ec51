"""The persisted state of one rollout, so a controller killed at any moment resumes exactly.

The state lives next to the run in the artifact store (``runs/<run>/rollout/state.json``, one
atomic object write per change), so whoever ticks next — the same process after a restart, an
Airflow sensor on another worker — sees the same rollout.

Exactly-once side effects: before acting on the endpoint the controller writes the *intent*
(``pending``), then acts, then clears it. A controller killed in between finds the intent and
completes it; every endpoint operation it replays is idempotent (set weights, remove variant),
and the terminal states are written before they are announced, so nothing is promoted or rolled
back twice. Deploy is no exception: the state is saved as ``deploying`` with a ``deploy`` intent
before the endpoint is touched, and every deploy step checks the endpoint before acting.

Concurrent writers: commands hold the endpoint's lease (:mod:`stainless.pipeline.endpoint_lease`)
and each save is a compare-and-swap on the object read (``revision`` counts the saves), so a
writer that lost its lease cannot silently overwrite another's state: it gets
:class:`StateConflict`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from stainless.backends.storage import ArtifactStore, WriteConflict
from stainless.core.errors import StainlessError
from stainless.workspace.layout import latest_run_having, rollout_state_key

ACTIVE = ("deploying", "canary", "paused")
TERMINAL = ("promoted", "rolled_back")


state_key = rollout_state_key  # where a run's rollout state lives (see workspace.layout)


@dataclass
class RolloutState:
    run_id: str
    endpoint: str
    candidate_variant: str
    candidate_version: int
    production_variant: str | None
    production_version: int | None
    policy: dict[str, Any]
    state: str = "deploying"
    step_index: int = 0
    rollout_started_at: float = 0.0
    step_started_at: float = 0.0
    weight: float = 0.0  # candidate's current share of traffic, percent
    paused_by: str | None = None  # "user" or "deadline"
    reason: str = ""
    ticks: list[dict[str, Any]] = field(default_factory=list)
    baseline: dict[str, dict[str, Any]] = field(default_factory=dict)  # counters at last tick
    decisions: list[dict[str, Any]] = field(default_factory=list)
    pending: dict[str, Any] | None = None
    finalized: bool = False
    revision: int = 0  # number of saves; the store's version token guards each one
    _token: str | None = field(default=None, repr=False, compare=False)

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_token", None)
        return data

    @property
    def summary(self) -> str:
        if self.state == "canary":
            return f"canary at {self.weight:g}% (step {self.step_index + 1})"
        if self.state == "paused":
            return f"paused at {self.weight:g}% ({self.paused_by})"
        return f"{self.state.replace('_', ' ')}: {self.reason}"


class StateConflict(StainlessError):
    """Another command saved the rollout since this one read it."""


def load_state(store: ArtifactStore, run_id: str) -> RolloutState | None:
    found = store.get_versioned(rollout_state_key(run_id))
    if found is None:
        return None
    data = json.loads(found[0])
    data.pop("_token", None)
    state = RolloutState(**data)
    state._token = found[1]
    return state


def save_state(store: ArtifactStore, state: RolloutState) -> None:
    """Compare-and-swap: saves only over the version this state was loaded from (or created
    fresh), else raises :class:`StateConflict`."""
    state.revision += 1
    data = json.dumps(state.to_dict(), sort_keys=True).encode()
    try:
        state._token = store.put_if(rollout_state_key(state.run_id), data, state._token)
    except WriteConflict:
        state.revision -= 1
        raise StateConflict(
            f"the rollout of run {state.run_id} was changed by another command "
            f"while this one worked on revision {state.revision}",
            fix="run the command again: it will see the new state "
            "(`stainless rollout status` shows it)",
        ) from None


def latest_rollout(store: ArtifactStore) -> str | None:
    """The newest run that has a rollout (run ids sort by time)."""
    return latest_run_having(store, rollout_state_key)
