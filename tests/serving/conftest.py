"""A tiny real model (model.py + schemas.json on disk) whose answers cover every server path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from stainless.project.runtime import LoadedModel

MODEL_PY = """
import math

import numpy as np


def load_model(artifact_dir):
    factor = float((artifact_dir / "factor.txt").read_text())

    def predict(request):
        x = request["x"]
        if x == 13:
            raise RuntimeError("unlucky number")
        if x == 7:
            return {"prediction": "seven"}  # violates the response schema
        if x == 8:
            return {"prediction": np.float64(8.0)}  # not JSON data
        if x == 9:
            return {"prediction": math.nan}
        return {"prediction": x * factor}

    return predict
"""

# The same answers from a batch function; each response also says the size of its batch, and
# x == 99 takes a second (a slow batch).
BATCH_MODEL_PY = """
import time

from stainless import batch


def load_model(artifact_dir):
    factor = float((artifact_dir / "factor.txt").read_text())

    @batch
    def predict(requests):
        answers = []
        for request in requests:
            x = request["x"]
            if x == 13:
                raise RuntimeError("unlucky number")
            if x == 99:
                time.sleep(1.0)
            if x == 7:
                answers.append({"prediction": "seven"})
            else:
                answers.append({"prediction": x * factor, "batch": len(requests)})
        return answers

    return predict
"""

SCHEMAS: dict[str, Any] = {
    "request": {
        "type": "object",
        "required": ["x"],
        "additionalProperties": False,
        "properties": {"x": {"type": "number"}, "note": {"type": "string"}},
        "examples": [{"x": 1.5}],
    },
    "response": {
        "type": "object",
        "required": ["prediction"],
        "properties": {"prediction": {"type": "number"}},
        "examples": [{"prediction": 3.0}],
    },
}


@pytest.fixture
def make_model(tmp_path: Path) -> Callable[..., LoadedModel]:
    def _make(schemas: dict[str, Any] | None = None, code: str = MODEL_PY) -> LoadedModel:
        folder = tmp_path / f"model{len(list(tmp_path.glob('model*')))}"
        (folder / "artifacts").mkdir(parents=True)
        (folder / "artifacts" / "factor.txt").write_text("2")
        (folder / "model.py").write_text(code)
        (folder / "schemas.json").write_text(json.dumps(schemas or SCHEMAS))
        return LoadedModel.load(folder / "artifacts", folder / "model.py", folder / "schemas.json")

    return _make


@pytest.fixture
def model(make_model: Callable[..., LoadedModel]) -> LoadedModel:
    return make_model()


class InProcessClient:
    """httpx over ASGITransport: real HTTP semantics, no socket, one event loop per call."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        import asyncio

        import httpx

        async def _go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(_go())

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)


@pytest.fixture
def client_for() -> Callable[[Any], InProcessClient]:
    return InProcessClient


@pytest.fixture
def base_schemas() -> dict[str, Any]:
    """A fresh copy of the default schemas, to edit in a test."""
    return json.loads(json.dumps(SCHEMAS))
