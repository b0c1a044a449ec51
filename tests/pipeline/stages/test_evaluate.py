"""The evaluate stage: candidate and production scored on the same validation rows, the
predictions and evaluation stored, a production that cannot score the new data recorded as a
fact for the decision rather than a crash."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from stainless.core.errors import HookError
from stainless.pipeline.runner import run_lifecycle
from stainless.pipeline.stages import EvaluateResult, run_stage
from stainless.project.config import load_config
from stainless.workspace import Workspace
from stainless.workspace.layout import evaluation_key, predictions_key

WRONG_RESPONSE = ('{"prediction": price} for price', '{"prediction": "high"} for price')


def test_the_candidate_is_scored_on_the_validation_rows(bake):
    project = Workspace(load_config(bake()))
    assert run_lifecycle(project, "r1", in_process=True, until="train").ok
    result = run_stage(project, "evaluate", "r1")
    assert result.production is None and result.metric == "rmse"
    assert result.candidate.version == 1 and result.candidate.value > 0
    stored = json.loads(project.store.get_bytes(evaluation_key("r1")))
    assert EvaluateResult.from_record(stored) == result
    table = pd.read_parquet(io.BytesIO(project.store.get_bytes(predictions_key("r1"))))
    assert list(table.columns) == ["y_true", "candidate_pred"] and len(table) == result.rows
    assert project.registry.get(1).metrics["rmse"] == pytest.approx(result.candidate.value)


def test_a_response_outside_the_schema_names_the_model_file(bake):
    project_dir = bake()
    model_py = project_dir / "model.py"
    model_py.write_text(model_py.read_text().replace(*WRONG_RESPONSE))
    project = Workspace(load_config(project_dir))
    assert run_lifecycle(project, "r1", in_process=True, until="train").ok
    with pytest.raises(HookError) as caught:
        run_stage(project, "evaluate", "r1")
    text = caught.value.render()
    assert text.startswith("model.py: for validation row 0 the model's response violates")
    assert "/prediction" in text and "Fix: return what schemas.json 'response' describes" in text


def test_a_production_that_cannot_score_is_recorded_not_raised(bake):
    project_dir = bake()
    model_py = project_dir / "model.py"
    good = model_py.read_text()
    model_py.write_text(good.replace(*WRONG_RESPONSE))  # packaged with version 1 at train
    project = Workspace(load_config(project_dir))
    assert run_lifecycle(project, "r1", in_process=True, until="train").ok
    project.registry.promote(1, "test")
    model_py.write_text(good)
    assert run_lifecycle(project, "r2", in_process=True, until="train").ok
    result = run_stage(project, "evaluate", "r2")
    assert result.candidate.version == 2 and result.candidate.value > 0
    assert result.production.version == 1 and result.production.value is None
    assert "response" in result.production.error
