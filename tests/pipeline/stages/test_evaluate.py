"""Scoring validation rows: one request at a time (evaluation's latency), or in batches through
the model's batch function (the shared suite's metric check), with the same answers and the
same row named when a request fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stainless.pipeline.stages.evaluate import score
from stainless.project.runtime import LoadedModel, ModelFailure, ResponseInvalid

from tests.serving.conftest import BATCH_MODEL_PY, MODEL_PY, SCHEMAS


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
