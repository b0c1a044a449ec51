"""Stage 5: put an approved candidate on the endpoint as a second production variant."""

from __future__ import annotations

from dataclasses import dataclass

from stainless.pipeline.stages.base import Stage, StageResult
from stainless.pipeline.stages.decide import Decide
from stainless.workspace import Workspace

STAGE = "deploy"


@dataclass(frozen=True)
class DeployResult(StageResult):
    deployed: bool
    reason: str = ""
    state: str | None = None
    weight: float | None = None
    candidate: str | None = None
    production: str | None = None
    forced: bool = False

    def summary(self, metric: str) -> str:
        if not self.deployed:
            return "not deployed"
        return f"{self.candidate} beside {self.production or 'nothing'}"


@dataclass
class Deploy(Stage[DeployResult]):
    """``skip_canary`` gives the candidate all traffic at once; ``force_promote`` deploys one
    that decide rejected (a person's override, e.g. a manual Airflow run)."""

    name = STAGE
    result_type = DeployResult

    skip_canary: bool = False
    force_promote: bool = False

    def _run(self, workspace: Workspace, run_id: str, previous: None) -> DeployResult:
        from stainless.pipeline.rollout_controller import start

        decision = Decide.completed(workspace, run_id)
        approved = decision is not None and decision.approved
        if not approved and not self.force_promote:
            return DeployResult(deployed=False, reason="not promoted by decide")
        state = start(workspace, run_id, skip_canary=self.skip_canary, override=self.force_promote)
        return DeployResult(
            deployed=True,
            state=state.state,
            weight=state.weight,
            candidate=state.candidate_variant,
            production=state.production_variant,
            forced=self.force_promote and not approved,
        )
