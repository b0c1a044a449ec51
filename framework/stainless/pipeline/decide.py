"""Stage 4: apply the promotion criterion, record the decision, tell the team."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pandas as pd

from stainless.core.errors import StageError
from stainless.pipeline import markers
from stainless.pipeline.layout import evaluation_key, predictions_key
from stainless.pipeline.project import Project
from stainless.pipeline.promotion import PromotionPolicy, judge

log = logging.getLogger("stainless.pipeline")
STAGE = "decide"


def run_decide(project: Project, run_id: str, force: bool = False) -> dict[str, Any]:
    if not force and (done := markers.completed(project.store, run_id, STAGE)):
        log.info("decide already done for run %s; skipping", run_id)
        return done
    evaluated = markers.completed(project.store, run_id, "evaluate")
    if evaluated is None:
        raise StageError(
            f"run {run_id} has not been evaluated",
            fix=f"run `stainless evaluate --run-id {run_id}` first",
        )
    config = project.config
    evaluation = json.loads(project.store.get_bytes(evaluation_key(run_id)))
    predictions = pd.read_parquet(io.BytesIO(project.store.get_bytes(predictions_key(run_id))))
    policy = PromotionPolicy.from_mapping(config["promotion"])
    verdict = judge(evaluation, predictions, policy, config.metric, config.direction)
    version = evaluation["candidate"]["version"]
    decision = {
        "action": "promote" if verdict.promote else "reject",
        "metric": config.metric,
        **verdict.to_dict(),
    }
    registry = project.registry
    registry.record_decision(version, decision)
    # An approved candidate stays a candidate until its rollout ends (finalize makes it
    # production); a rejected one is settled now.
    if not verdict.promote:
        registry.set_status(version, "rejected", verdict.reason)
    fields: dict[str, Any] = {f"candidate {config.metric}": verdict.candidate}
    if verdict.production is not None:
        fields[f"production {config.metric}"] = verdict.production
        fields["margin"] = verdict.margin
    project.notify(
        "decision",
        f"Version {version} {'approved for rollout' if verdict.promote else 'not promoted'}: "
        f"{verdict.reason}",
        run_id,
        fields=fields,
        severity="success" if verdict.promote else "info",
    )
    return markers.mark_completed(project.store, run_id, STAGE, decision)
