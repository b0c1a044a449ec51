"""A tiny model bundle (an extracted model.tar.gz) whose answers are chosen by the request, so
tests can make a real model server answer 2xx, 4xx (invalid request) or 5xx (model / response
error) on demand. ``factor`` tells versions apart: the prediction is ``x * factor``."""

from __future__ import annotations

import json
from pathlib import Path

MODEL_PY = """
import time
from pathlib import Path


def load_model(artifact_dir):
    factor = float((Path(artifact_dir) / "factor.txt").read_text())

    def predict(request):
        x = request["x"]
        if x < 0:
            raise ValueError("negative x")  # a model error (500, origin model)
        if x == 13:
            return {"prediction": "thirteen"}  # breaks the response schema (500, origin response)
        if x == 7777:
            time.sleep(1.5)  # slower than a short router timeout
        return {"prediction": x * factor}

    return predict
"""

SCHEMAS = {
    "request": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["x"],
        "additionalProperties": False,
        "properties": {"x": {"type": "number"}},
        "examples": [{"x": 1.5}],
    },
    "response": {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["prediction"],
        "properties": {"prediction": {"type": "number"}},
    },
}

OK = {"x": 2.0}
INVALID = {"x": "not a number"}  # 400, origin client
MODEL_FAILS = {"x": -1.0}  # 500, origin model
RESPONSE_INVALID = {"x": 13}  # 500, origin response
SLOW = {"x": 7777}


def make_toy_model(directory: Path, factor: float) -> Path:
    bundle = directory / ".stainless"
    bundle.mkdir(parents=True)
    (directory / "factor.txt").write_text(str(factor))
    (bundle / "model.py").write_text(MODEL_PY)
    (bundle / "schemas.json").write_text(json.dumps(SCHEMAS))
    manifest = {"model": "toy", "model_file": "model.py", "schemas_file": "schemas.json"}
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    return directory
