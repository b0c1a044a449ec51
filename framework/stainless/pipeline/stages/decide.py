"""Stage 4: apply the promotion criterion, record the decision, tell the team."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pandas as pd

from stainless.pipeline.promotion import PromotionPolicy, judge
from stainless.pipeline.stages.base import Stage, StageResult
from stainless.pipeline.stages.evaluate import Evaluate, EvaluateResult
from stainless.workspace import Workspace
from stainless.workspace.layout import predictions_key

STAGE = "decide"


@dataclass(frozen=True)
class DecideResult(StageResult):
    """The promotion decision: ``action`` is "promote" or "reject"; the rest is the verdict."""

    action: str
    metric: str
    promote: bool
    reason: str
    candidate: float
    production: float | None = None
    margin: float | None = None
    required: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    @property
    def approved(self) -> bool:
        return self.action == "promote"

    def summary(self, metric: str) -> str:
        return f"{self.action.upper()}: {self.reason}"


class Decide(Stage[DecideResult]):
    name = STAGE
    result_type = DecideResult
    requires = Evaluate
    missing = "has not been evaluated"

    def _run(self, workspace: Workspace, run_id: str, previous: EvaluateResult) -> DecideResult:
        config = workspace.config
        evaluation = previous.to_record()
        predictions = pd.read_parquet(
            io.BytesIO(workspace.store.get_bytes(predictions_key(run_id)))
        )
        policy = PromotionPolicy.from_mapping(config["promotion"])
        verdict = judge(evaluation, predictions, policy, config.metric, config.direction)
        version = previous.candidate.version
        decision = DecideResult(
            action="promote" if verdict.promote else "reject",
            metric=config.metric,
            **verdict.to_dict(),
        )
        registry = workspace.registry
        registry.record_decision(version, decision.to_record())
        # An approved candidate stays a candidate until its rollout ends (finalize makes it
        # production); a rejected one is settled now.
        if not verdict.promote:
            registry.set_status(version, "rejected", verdict.reason)
        fields: dict[str, Any] = {f"candidate {config.metric}": verdict.candidate}
        if verdict.production is not None:
            fields[f"production {config.metric}"] = verdict.production
            fields["margin"] = verdict.margin
        workspace.notify(
            "decision",
            f"Version {version} {'approved for rollout' if verdict.promote else 'not promoted'}: "
            f"{verdict.reason}",
            run_id,
            fields=fields,
            severity="success" if verdict.promote else "info",
        )
        return decision
