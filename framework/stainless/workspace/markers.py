"""Stage completion records: re-running a stage of a run that already finished is a no-op.

The record is written last and atomically, so a stage killed half-way has no record and simply
runs again (its outputs are overwritten atomically).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from stainless.backends.storage import ArtifactStore
from stainless.workspace.layout import stage_marker_key


def completed(store: ArtifactStore, run_id: str, stage: str) -> dict[str, Any] | None:
    key = stage_marker_key(run_id, stage)
    if not store.exists(key):
        return None
    return json.loads(store.get_bytes(key))


def mark_completed(store: ArtifactStore, run_id: str, stage: str, result: dict[str, Any]) -> dict:
    record = {
        **result,
        "stage": stage,
        "run_id": run_id,
        "completed_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    store.put_bytes(
        stage_marker_key(run_id, stage),
        json.dumps(record, indent=2, sort_keys=True, default=str).encode(),
    )
    return record
