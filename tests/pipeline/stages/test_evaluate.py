"""The evaluate stage: candidate and production scored on the same validation rows, one request
at a time (evaluation's latency) or in batches through the model's batch function (the shared
suite's metric check) with the same answers and the same row named when a request fails; the
predictions and evaluation stored; a production that cannot score the new data recorded as a
fact for the decision rather than a crash."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from stainless.core.errors import HookError
from stainless.pipeline.runner import run_lifecycle
from stainless.pipeline.stages import EvaluateResult, run_stage
from stainless.pipeline.stages.evaluate import score, score_version
from stainless.project.config import load_config
from stainless.project.runtime import LoadedModel, ModelFailure, ResponseInvalid
from stainless.workspace import Workspace
from stainless.workspace.layout import evaluation_key, predictions_key

from tests.serving.conftest import BATCH_MODEL_PY, MODEL_PY, SCHEMAS

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
    assert result.candidate.latency_us is not None and result.candidate.latency_us > 0


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


def load(folder: Path, code: str) -> LoadedModel:
    (folder / "artifacts").mkdir(parents=True)
    (folder / "artifacts" / "factor.txt").write_text("2")
    (folder / "model.py").write_text(code)
    (folder / "schemas.json").write_text(json.dumps(SCHEMAS))
    return LoadedModel.load(folder / "artifacts", folder / "model.py", folder / "schemas.json")


@pytest.fixture
def batch_model(tmp_path: Path) -> LoadedModel:
    return load(tmp_path / "batch", BATCH_MODEL_PY)


def test_batched_scoring_gives_the_answers_of_one_at_a_time(batch_model: LoadedModel) -> None:
    xs = [0, 1, 2, 3, 4, 5, 6, 10, 11, 12]  # 7 and 13 are the model's bad answers
    requests = [{"x": float(x)} for x in xs]
    alone, _, _ = score(batch_model, requests, ("prediction", "p"), False)
    together, _, _ = score(batch_model, requests, ("prediction", "p"), False, batch_size=4)
    assert together == alone == [2.0 * x for x in xs]
    # The batch model reports the size of the call that answered each request.
    sizes, _, _ = score(batch_model, requests, ("batch", "p"), False, batch_size=4)
    assert sizes == [4] * 8 + [2] * 2
    sizes, _, _ = score(batch_model, requests, ("batch", "p"), False)
    assert sizes == [1] * 10


@pytest.mark.parametrize("batch_size", [1, 4])
def test_a_failing_row_is_named_in_either_mode(batch_model: LoadedModel, batch_size: int) -> None:
    crash = [{"x": 1.0}] * 5 + [{"x": 13.0}] + [{"x": 2.0}] * 4
    with pytest.raises(ModelFailure) as raised:
        score(batch_model, crash, ("prediction", "p"), False, batch_size=batch_size)
    assert raised.value.row == 5  # type: ignore[attr-defined]
    wrong = [{"x": 1.0}] * 6 + [{"x": 7.0}]
    with pytest.raises(ResponseInvalid) as invalid:
        score(batch_model, wrong, ("prediction", "p"), False, batch_size=batch_size)
    assert invalid.value.row == 6  # type: ignore[attr-defined]


def test_a_one_request_model_is_scored_one_at_a_time(tmp_path: Path) -> None:
    model = load(tmp_path / "single", MODEL_PY)
    requests = [{"x": 1.0}, {"x": 2.0}, {"x": 13.0}]
    with pytest.raises(ModelFailure) as raised:
        score(model, requests, ("prediction", "p"), False, batch_size=64)
    assert raised.value.row == 2  # type: ignore[attr-defined]


SLOW_CALL_PY = """
import time

from stainless import batch


def load_model(artifact_dir):
    @batch
    def predict(requests):
        time.sleep(0.01)  # a fixed cost per call, whatever the number of rows
        return [{"prediction": r["x"], "batch": len(requests)} for r in requests]

    return predict
"""


def test_evaluation_batches_the_rows_and_times_lone_requests(tmp_path: Path) -> None:
    # The metric's rows go through the batch function as the server hands them under load;
    # the recorded latency is still a lone request's, so a fixed 10 ms per call shows whole.
    model = load(tmp_path / "slow", SLOW_CALL_PY)
    requests = [{"x": float(x)} for x in range(100)]
    sizes, _, latency_us = score_version(model, requests, ("batch", "p"), False, batch_size=64)
    assert sizes == [64] * 64 + [36] * 36
    assert latency_us >= 10_000
    predictions, _, _ = score_version(model, requests, ("prediction", "p"), False, batch_size=64)
    assert predictions == [r["x"] for r in requests]


def test_a_one_request_model_is_timed_on_every_row(tmp_path: Path) -> None:
    model = load(tmp_path / "single", MODEL_PY)
    requests = [{"x": float(x)} for x in (1, 2, 3)]
    predictions, _, latency_us = score_version(
        model, requests, ("prediction", "p"), False, batch_size=64
    )
    assert predictions == [2.0, 4.0, 6.0] and latency_us > 0
