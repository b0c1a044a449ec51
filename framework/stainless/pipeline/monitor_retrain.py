"""Whether a monitoring check starts a retraining, with a cooldown (docs/monitoring.md).

The monitoring DAG calls :func:`retrain_decision` after each check; when it says yes, the DAG's
``retrain`` task calls :func:`record_retrain` and Airflow emits the asset event the training DAG
is scheduled on. The last retraining's time lives in ``monitoring/MODEL/state.json`` beside the
last alert, so one drift episode (an alert every hour until someone acts) starts one retraining
per cooldown, whichever Airflow worker runs the check.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from stainless.backends.storage import WriteConflict
from stainless.core.durations import parse_duration
from stainless.core.errors import StageError
from stainless.pipeline.monitor_result import MonitorResult
from stainless.workspace import Workspace as Project
from stainless.workspace.layout import monitoring_state_key


@dataclass(frozen=True)
class RetrainDecision:
    wanted: bool
    reason: str
    alerts: tuple[str, ...] = ()  # the check's alerts that ask for a retraining
    last_retrain: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "wanted": self.wanted,
            "reason": self.reason,
            "alerts": list(self.alerts),
            "last_retrain": self.last_retrain.isoformat() if self.last_retrain else None,
        }


def read_state(project: Project) -> dict[str, Any]:
    """``monitoring/MODEL/state.json`` (last alert, alert episodes, last retraining); empty
    before the first."""
    found = project.store.get_versioned(monitoring_state_key(project.name))
    return _parse_state(found[0]) if found else {}


def update_state(
    project: Project, change: Callable[[dict[str, Any]], dict[str, Any]], attempts: int = 20
) -> dict[str, Any]:
    """Read, change and write the state file as one compare-and-swap (the store's conditional
    write): two checks that overlap, or a check and the DAG's retrain task, each see the other's
    record instead of overwriting it. ``change`` may run more than once; returns what was
    written."""
    key = monitoring_state_key(project.name)
    for _ in range(attempts):
        found = project.store.get_versioned(key)
        state = change(_parse_state(found[0]) if found else {})
        try:
            project.store.put_if(key, json.dumps(state).encode(), found[1] if found else None)
            return state
        except WriteConflict:
            time.sleep(random.uniform(0.01, 0.1))  # the other writer is done in milliseconds
    raise StageError(
        f"could not update {key}: it changed {attempts} times while this check wrote it",
        fix="another process keeps writing it; run the check again",
    )


def write_state(project: Project, **changes: Any) -> None:
    """Update some keys of the state file, keeping the others (alerts and retrainings are
    recorded by different tasks)."""
    update_state(project, lambda state: {**state, **changes})


def _parse_state(data: bytes) -> dict[str, Any]:
    try:
        state = json.loads(data)
    except ValueError:  # a damaged state file must not stop monitoring: start afresh
        return {}
    return state if isinstance(state, dict) else {}


def alerts_of(result: MonitorResult) -> tuple[str, ...]:
    """The alerts of a check that a retraining could answer (SLO breaches are not among them)."""
    found = []
    if result.drift.status == "drift":
        found.append("drift")
    if result.quality is not None and result.quality.status == "dropped":
        found.append("quality_drop")
    return tuple(found)


def retrain_decision(
    project: Project, result: MonitorResult, now: datetime | None = None
) -> RetrainDecision:
    """Yes when ``monitoring.retrain`` is enabled, the check raised one of its ``alerts`` and
    no retraining was started within ``cooldown``."""
    section: dict[str, Any] = project.config.raw.get("monitoring", {}).get("retrain", {})
    now = now or datetime.now(UTC)
    wanted = tuple(a for a in alerts_of(result) if a in section.get("alerts", []))
    last = _parse_time(read_state(project).get("last_retrain"))
    if not section.get("enabled", False):
        return RetrainDecision(False, "monitoring.retrain.enabled is false", wanted, last)
    if not wanted:
        return RetrainDecision(False, "no alert that asks for a retraining", wanted, last)
    cooldown = timedelta(seconds=parse_duration(section.get("cooldown", "24h")))
    if last is not None and now - last < cooldown:
        return RetrainDecision(
            False,
            f"a retraining was started at {last.isoformat()}, within the cooldown "
            f"({section.get('cooldown', '24h')})",
            wanted,
            last,
        )
    return RetrainDecision(True, f"{', '.join(wanted)} alert: retraining", wanted, last)


def record_retrain(project: Project, now: datetime | None = None) -> datetime:
    """Remember that a retraining was started now (the cooldown counts from here)."""
    now = now or datetime.now(UTC)
    write_state(project, last_retrain=now.isoformat())
    return now


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
