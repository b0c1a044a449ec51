"""Batch functions of model.py: ``@stainless.batch`` or an object with ``predict_batch``; every
request of a batch is validated and answered on its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import stainless
from stainless.core.errors import HookError
from stainless.project.runtime import LoadedModel, ModelFailure, RequestInvalid, ResponseInvalid

SCHEMAS = {
    "request": {
        "type": "object",
        "required": ["x"],
        "properties": {"x": {"type": "number"}},
        "examples": [{"x": 1}, {"x": 2}],
    },
    "response": {"type": "object", "required": ["y"], "properties": {"y": {"type": "number"}}},
}
# A load_model whose body follows (an indented return).
LOAD_MODEL = "def load_model(artifact_dir):\n"
DECORATED = """
from stainless import batch


def load_model(artifact_dir):
    @batch
    def predict(requests):
        if any(r["x"] == 0 for r in requests):
            raise ZeroDivisionError("x is 0")
        return [{"y": 1 / r["x"], "size": len(requests)} if r["x"] != 7 else {"y": "seven"}
                for r in requests]

    return predict
"""
OBJECT = """
class Model:
    def predict_batch(self, requests):
        return [{"y": r["x"] * 2, "size": len(requests)} for r in requests]


def load_model(artifact_dir):
    return Model()
"""


def loaded(tmp_path: Path, code: str) -> LoadedModel:
    (tmp_path / "schemas.json").write_text(json.dumps(SCHEMAS))
    (tmp_path / "model.py").write_text(code)
    return LoadedModel.load(tmp_path, tmp_path / "model.py", tmp_path / "schemas.json")


def test_the_decorator_is_public_and_a_decorated_function_still_answers_one_request(
    tmp_path: Path,
) -> None:
    assert stainless.batch is not None and "batch" in stainless.__all__
    model = loaded(tmp_path, DECORATED)
    assert model.batches
    assert model.predict({"x": 2}) == {"y": 0.5, "size": 1}
    model.self_test()  # the examples, alone and together


def test_an_object_with_only_predict_batch_is_a_model(tmp_path: Path) -> None:
    model = loaded(tmp_path, OBJECT)
    assert model.batches
    assert model.predict({"x": 3}) == {"y": 6, "size": 1}
    assert model.predict_many([{"x": 1}, {"x": 2}]) == [{"y": 2, "size": 2}, {"y": 4, "size": 2}]


def test_in_a_batch_each_request_fails_alone(tmp_path: Path) -> None:
    model = loaded(tmp_path, DECORATED)
    outcomes = model.predict_many([{"x": 2}, {"x": "b"}, {"x": 0}, {"x": 7}, {"x": 4}])
    # The invalid request never reached the model; the crash and the bad answer are theirs only.
    assert outcomes[0] == {"y": 0.5, "size": 1}
    assert isinstance(outcomes[1], RequestInvalid) and outcomes[1].violations[0].path == "/x"
    assert isinstance(outcomes[2], ModelFailure) and "ZeroDivisionError" in outcomes[2].message
    assert isinstance(outcomes[2].__cause__, ZeroDivisionError)
    assert isinstance(outcomes[3], ResponseInvalid) and outcomes[3].violations[0].path == "/y"
    assert outcomes[4] == {"y": 0.25, "size": 1}


def test_valid_requests_go_to_the_model_in_one_call(tmp_path: Path) -> None:
    model = loaded(tmp_path, DECORATED)
    outcomes = model.predict_many([{"x": 1}, {"x": "b"}, {"x": 4}, {"x": 7}])
    assert outcomes[0] == {"y": 1.0, "size": 3} and outcomes[2] == {"y": 0.25, "size": 3}
    assert isinstance(outcomes[3], ResponseInvalid)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [("[{'y': 1}]", "returned 1 responses for 2 requests"), ("{'y': 1}", "returned dict")],
)
def test_a_batch_function_answering_the_wrong_shape_is_the_models_fault(
    tmp_path: Path, answer: str, reason: str
) -> None:
    code = (
        "from stainless import batch\n\ndef load_model(artifact_dir):\n"
        f"    return batch(lambda requests: {answer})\n"
    )
    model = loaded(tmp_path, code)
    outcomes = model.predict_many([{"x": 1}, {"x": 2}])
    assert all(isinstance(outcome, ResponseInvalid) for outcome in outcomes)
    assert reason in outcomes[0].message and "one response per request" in outcomes[0].message
    with pytest.raises(ResponseInvalid, match="predict_batch of model.py returned"):
        model.self_test()


def test_load_model_returning_neither_names_both_forms(tmp_path: Path) -> None:
    with pytest.raises(HookError, match="predict_batch") as info:
        loaded(tmp_path, "def load_model(artifact_dir):\n    return 42\n")
    assert "@stainless.batch" in info.value.render()


def test_runtime_classifies_failures_by_origin(tmp_path):
    model = loaded(tmp_path, LOAD_MODEL + "    return lambda r: {'y': 1 / r['x']}\n")
    assert model.predict({"x": 2}) == {"y": 0.5}
    model.self_test()
    with pytest.raises(RequestInvalid) as invalid:
        model.predict({"x": "2"})
    assert invalid.value.origin == "client" and invalid.value.violations[0].path == "/x"
    with pytest.raises(ModelFailure) as failure:
        model.predict({"x": 0})
    assert failure.value.origin == "model" and "ZeroDivisionError" in failure.value.message
    assert len(failure.value.error_id) == 12


def test_response_violations_are_the_models_fault(tmp_path):
    model = loaded(tmp_path, LOAD_MODEL + "    return lambda r: {'y': 'high'}\n")
    with pytest.raises(ResponseInvalid) as info:
        model.predict({"x": 1})
    assert info.value.origin == "response"
    assert "model.py" in info.value.message and info.value.violations[0].path == "/y"


def test_load_model_must_return_a_callable(tmp_path):
    with pytest.raises(HookError, match="model.py: load_model must return a callable"):
        loaded(tmp_path, LOAD_MODEL + "    return 42\n")
