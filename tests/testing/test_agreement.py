"""The suite's batch-vs-single check finds batch functions that mix requests up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stainless.project.runtime import LoadedModel
from stainless.testing.agreement import disagreement, same

SCHEMAS = {
    "request": {"type": "object", "required": ["x"], "properties": {"x": {"type": "number"}}},
    "response": {"type": "object", "required": ["y"], "properties": {"y": {"type": "number"}}},
}
HONEST = "[{'y': r['x'] * 2.0} for r in rs]"
CENTRED = "[{'y': r['x'] - sum(q['x'] for q in rs) / len(rs)} for r in rs]"  # uses the batch
REVERSED = "[{'y': r['x'] * 2.0} for r in reversed(rs)]"
PICKY = "[{'y': 1 / (len(rs) - 1)} for r in rs]"  # fails alone only


def model(tmp_path: Path, answer: str) -> LoadedModel:
    (tmp_path / "schemas.json").write_text(json.dumps(SCHEMAS))
    (tmp_path / "model.py").write_text(
        "from stainless import batch\n\n"
        f"def load_model(d):\n    return batch(lambda rs: {answer})\n"
    )
    return LoadedModel.load(tmp_path, tmp_path / "model.py", tmp_path / "schemas.json")


def test_an_honest_batch_function_agrees(tmp_path: Path) -> None:
    assert disagreement(model(tmp_path, HONEST), [{"x": 1}, {"x": 2.5}], "model.py") is None


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (CENTRED, "at position 0 of a batch of 2"),
        (REVERSED, "in the order of the requests"),
        (PICKY, "succeeds in a batch of 2 (position 0) but not alone"),
    ],
)
def test_batch_functions_that_mix_requests_up_are_named(
    tmp_path: Path, answer: str, says: str
) -> None:
    problem = disagreement(model(tmp_path, answer), [{"x": 1}, {"x": 3}], "model.py")
    assert problem is not None and problem.startswith("model.py: ") and says in problem


def test_numbers_are_equal_up_to_rounding() -> None:
    assert same({"y": [0.1 + 0.2, True]}, {"y": [0.3, True]})
    assert not same({"y": 1}, {"y": True}) and not same({"y": 1.0}, {"y": 1.1})
