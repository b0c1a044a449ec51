"""The persisted state of one rollout, so a controller killed at any moment resumes exactly.

The state lives next to the run in the artifact store (``runs/<run>/rollout/state.json``, one
atomic object write per change), so whoever ticks next — the same process after a restart, an
Airflow sensor on another worker — sees the same rollout.

Exactly-once side effects: before acting on the endpoint the controller writes the *intent*
(``pending``), then acts, then clears it. A controller killed in between finds the intent and
completes it; every endpoint operation it replays is idempotent (set weights, remove variant),
and the terminal states are written before they are announced, so nothing is promoted or rolled
back twice.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from stainless.backends.storage import ArtifactStore
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

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def summary(self) -> str:
        if self.state == "canary":
            return f"canary at {self.weight:g}% (step {self.step_index + 1})"
        if self.state == "paused":
            return f"paused at {self.weight:g}% ({self.paused_by})"
        return f"{self.state.replace('_', ' ')}: {self.reason}"


def load_state(store: ArtifactStore, run_id: str) -> RolloutState | None:
    key = state_key(run_id)
    if not store.exists(key):
        return None
    return RolloutState(**json.loads(store.get_bytes(key)))


def save_state(store: ArtifactStore, state: RolloutState) -> None:
    store.put_bytes(state_key(state.run_id), json.dumps(state.to_dict(), sort_keys=True).encode())


def latest_rollout(store: ArtifactStore) -> str | None:
    """The newest run that has a rollout (run ids sort by time)."""
    return latest_run_having(store, rollout_state_key)
