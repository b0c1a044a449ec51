"""The pipeline's stages, in lifecycle order, each a :class:`~stainless.pipeline.stages.base.Stage`
with a typed result. ``STAGES`` maps a stage's name (its command and marker) to its class."""

from __future__ import annotations

from typing import Any

from stainless.core.errors import StageError
from stainless.pipeline.stages.base import Stage, StageResult
from stainless.pipeline.stages.decide import Decide, DecideResult
from stainless.pipeline.stages.deploy import Deploy, DeployResult
from stainless.pipeline.stages.evaluate import Evaluate, EvaluateResult
from stainless.pipeline.stages.finalize import Finalize, FinalizeResult
from stainless.pipeline.stages.preprocess import Preprocess, PreprocessResult
from stainless.pipeline.stages.train import Train, TrainResult
from stainless.workspace import Workspace

STAGES: dict[str, type[Stage[Any]]] = {
    stage.name: stage for stage in (Preprocess, Train, Evaluate, Decide, Deploy, Finalize)
}


def run_stage(workspace: Workspace, stage: str, run_id: str, force: bool = False) -> StageResult:
    """Run one stage in this process (what the stage commands, the container and the DAG call)."""
    if stage not in STAGES:
        raise StageError(f"unknown stage {stage!r}", expected=", ".join(STAGES))
    workspace.use_secrets()  # into this process: the hooks may read them from the environment
    return STAGES[stage]().run(workspace, run_id, force=force)


__all__ = [
    "STAGES",
    "Decide",
    "DecideResult",
    "Deploy",
    "DeployResult",
    "Evaluate",
    "EvaluateResult",
    "Finalize",
    "FinalizeResult",
    "Preprocess",
    "PreprocessResult",
    "Stage",
    "StageResult",
    "Train",
    "TrainResult",
    "run_stage",
]
