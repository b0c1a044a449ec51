"""`stainless status`: every model at a glance, from its registry and its store only.

Per model: the production version and its metric, the rollout in flight (step, weight, the
evidence so far), the last run's outcome, the last monitoring result, and this month's cost.
Nothing here starts or touches an endpoint: it reads what the pipeline recorded, so it is cheap
enough to run for many models, and safe to run while a rollout is going on.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from stainless.core.errors import StainlessError
from stainless.pipeline.cost import format_usd
from stainless.pipeline.cost_summary import month_cost
from stainless.workspace import Workspace, markers, open_workspace
from stainless.workspace.layout import RUNS, monitoring_results, run_id_of, stage_marker_key

log = logging.getLogger("stainless.status")

LIFECYCLE_STAGES = ("preprocess", "train", "evaluate", "decide", "deploy", "finalize")


@dataclass(frozen=True)
class Production:
    version: int
    metric: str
    value: float | None
    since: str


@dataclass(frozen=True)
class RolloutInFlight:
    run_id: str
    version: int
    state: str  # canary | paused | deploying
    step: int  # 1-based
    steps: int
    weight: float  # the candidate's share, percent
    evidence: tuple[tuple[str, str], ...]  # the last decision's, or the traffic seen so far


@dataclass(frozen=True)
class LastRun:
    run_id: str
    outcome: str
    at: str


@dataclass(frozen=True)
class Monitoring:
    checked_at: str
    status: str
    summary: str


@dataclass(frozen=True)
class ModelStatus:
    model: str
    project_dir: str
    production: Production | None = None
    rollout: RolloutInFlight | None = None
    last_run: LastRun | None = None
    monitoring: Monitoring | None = None
    month_cost_usd: float | None = None
    month_cost_notional: bool = False
    error: str | None = None  # a project that cannot be read is shown, not skipped

    @property
    def month_cost(self) -> str:
        return format_usd(self.month_cost_usd, self.month_cost_notional)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_status(project: Workspace) -> ModelStatus:
    registry = project.registry
    production = registry.production()
    runs = _runs(project)
    spent = month_cost(project)
    return ModelStatus(
        model=project.name,
        project_dir=str(project.dir),
        production=Production(
            production.version,
            project.config.metric,
            _float(production.metrics.get(project.config.metric)),
            production.updated_at,
        )
        if production
        else None,
        rollout=_in_flight(project, runs),
        last_run=_last_run(project, runs),
        monitoring=_monitoring(project),
        month_cost_usd=spent.usd,
        month_cost_notional=spent.notional,
    )


def statuses(project_dirs: list[Path], env: str | None = None) -> list[ModelStatus]:
    """One status per project; a project that cannot be opened or read reports its error."""
    found = []
    for directory in project_dirs:
        try:
            found.append(model_status(open_workspace(directory, env=env)))
        except StainlessError as exc:
            found.append(ModelStatus(directory.name, str(directory), error=exc.render()))
        except Exception as exc:  # one broken project must not hide the others
            log.exception("status of %s failed", directory)
            found.append(
                ModelStatus(directory.name, str(directory), error=f"{type(exc).__name__}: {exc}")
            )
    return found


def run_outcome(project: Workspace, run_id: str) -> str:
    """What became of a run, in words (shared with the run report)."""
    from stainless.pipeline.rollout_state import load_state

    records = {s: markers.completed(project.store, run_id, s) for s in LIFECYCLE_STAGES}
    if records["finalize"]:
        return str(records["finalize"].get("outcome", "finalized")).replace("_", " ")
    state = load_state(project.store, run_id)
    if state is not None:
        return f"rollout {state.state.replace('_', ' ')}"
    if records["decide"]:
        return (
            "approved for rollout"
            if records["decide"].get("action") == "promote"
            else "not promoted"
        )
    done = [name for name, record in records.items() if record]
    return f"stopped after {done[-1]}" if done else "started"


# -- reading ---------------------------------------------------------------------------------------
def _runs(project: Workspace) -> dict[str, str]:
    """run id -> when it last recorded a stage, for every run in the store."""
    latest: dict[str, str] = {}
    for key in project.store.list(RUNS):
        run_id = run_id_of(key)
        if run_id is None or not any(key == stage_marker_key(run_id, s) for s in LIFECYCLE_STAGES):
            continue
        record = json.loads(project.store.get_bytes(key))
        stamp = str(record.get("completed_at", ""))
        latest[run_id] = max(latest.get(run_id, ""), stamp)
    return latest


def _last_run(project: Workspace, runs: dict[str, str]) -> LastRun | None:
    if not runs:
        return None
    run_id = max(runs, key=lambda r: (runs[r], r))
    return LastRun(run_id, run_outcome(project, run_id), runs[run_id])


def _in_flight(project: Workspace, runs: dict[str, str]) -> RolloutInFlight | None:
    from stainless.pipeline.rollout_state import load_state

    for run_id in sorted(runs, key=lambda r: runs[r], reverse=True):
        state = load_state(project.store, run_id)
        if state is None or state.done:
            continue
        steps = list(state.policy.get("steps") or [])
        if state.decisions:
            evidence = tuple(
                (str(k), _text(v)) for k, v in (state.decisions[-1].get("evidence") or {}).items()
            )
        elif state.ticks:
            tick = state.ticks[-1]
            evidence = tuple(
                (side, _counts(tick.get(side))) for side in ("candidate", "production")
            )
        else:
            evidence = (("traffic", "none observed yet"),)
        return RolloutInFlight(
            run_id,
            state.candidate_version,
            state.state,
            state.step_index + 1,
            len(steps),
            float(state.weight),
            evidence,
        )
    return None


def _monitoring(project: Workspace) -> Monitoring | None:
    """The last result `stainless monitor` stored for the model, if it ever ran."""
    keys = monitoring_results(project.store, project.name)
    if not keys:
        return None
    try:
        data = json.loads(project.store.get_bytes(keys[-1]))
    except ValueError:
        return Monitoring("?", "unreadable", f"{keys[-1]} is not JSON")
    return Monitoring(
        str(data.get("checked_at") or "?"),
        str(data.get("status") or "?"),
        str(data.get("reason") or ""),
    )


def _counts(counts: Any) -> str:
    if not isinstance(counts, dict):
        return "—"
    # A tick's counts (rollout_controller._delta): "errors" are the model's (5xx, crashes).
    return f"{counts.get('requests', 0)} requests, {counts.get('errors', 0)} model errors"


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def _text(value: Any) -> str:
    if value is None:  # undefined so far (e.g. a ratio with no errors yet)
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
