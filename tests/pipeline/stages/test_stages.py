"""The stage registry and ``run_stage``, what the stage commands, the container and the DAG call
(the protocol each stage follows: test_base.py)."""

from __future__ import annotations

import pytest
from stainless.core.errors import StageError
from stainless.pipeline.stages import STAGES, StageResult, run_stage
from stainless.project.config import load_config
from stainless.workspace import Workspace


def test_the_registry_holds_every_stage_in_lifecycle_order():
    assert list(STAGES) == ["preprocess", "train", "evaluate", "decide", "deploy", "finalize"]
    for name, stage in STAGES.items():
        assert stage.name == name and issubclass(stage.result_type, StageResult)


def test_an_unknown_stage_names_the_stages_there_are(bake):
    workspace = Workspace(load_config(bake()))
    with pytest.raises(StageError) as caught:
        run_stage(workspace, "deplyo", "r1")
    text = caught.value.render()
    assert "unknown stage 'deplyo'" in text
    assert "expected preprocess, train, evaluate, decide, deploy, finalize" in text
