"""Batches: a JSON array of requests, or JSON Lines (as SageMaker batch transform sends)."""

from __future__ import annotations

from typing import Any

import pytest
from stainless.serving import ServingSettings, create_app
from stainless.serving.errors import ORIGIN_HEADER

ORIGIN = ORIGIN_HEADER.decode()
JSON = {"content-type": "application/json"}
LINES = {"content-type": "application/jsonlines"}


@pytest.fixture
def client(model: Any, client_for: Any) -> Any:
    return client_for(create_app(model, ServingSettings(max_batch_items=3)))


def test_json_array_is_answered_item_by_item(client: Any) -> None:
    response = client.post("/invocations", content=b'[{"x": 1}, {"x": 2}]', headers=JSON)
    assert response.status_code == 200
    assert response.json() == [{"prediction": 2.0}, {"prediction": 4.0}]


def test_one_invalid_item_rejects_the_whole_batch_naming_its_index(client: Any) -> None:
    response = client.post("/invocations", content=b'[{"x": 1}, {"x": "b"}]', headers=JSON)
    assert response.status_code == 400
    assert response.headers[ORIGIN] == "client"
    error = response.json()["error"]
    assert error["index"] == 1
    assert error["violations"][0]["path"] == "/x"


def test_model_failure_in_a_batch_names_the_index(client: Any) -> None:
    response = client.post("/invocations", content=b'[{"x": 1}, {"x": 13}]', headers=JSON)
    assert response.status_code == 500
    assert response.headers[ORIGIN] == "model"
    assert response.json()["error"]["index"] == 1


def test_batch_over_max_batch_items_is_413(client: Any) -> None:
    response = client.post(
        "/invocations", content=b'[{"x": 1}, {"x": 1}, {"x": 1}, {"x": 1}]', headers=JSON
    )
    assert response.status_code == 413
    assert "max_batch_items" in response.json()["error"]["message"]


def test_json_lines_in_json_lines_out(client: Any) -> None:
    body = b'{"x": 1}\n\n{"x": 3}\r\n'
    response = client.post("/invocations", content=body, headers=LINES)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jsonlines"
    assert response.content == b'{"prediction":2.0}\n{"prediction":6.0}\n'


@pytest.mark.parametrize(
    ("body", "line"), [(b'{"x": 1}\n{"x": \n', 2), (b'{"x": 1}\n\n{"x": "c"}\n', 3)]
)
def test_json_lines_errors_name_the_line(client: Any, body: bytes, line: int) -> None:
    response = client.post("/invocations", content=body, headers=LINES)
    assert response.status_code == 400
    assert response.headers[ORIGIN] == "client"
    assert response.json()["error"]["line"] == line


def test_arrays_are_single_requests_when_the_schema_describes_arrays(
    make_model: Any, client_for: Any, base_schemas: dict[str, Any]
) -> None:
    code = (
        "def load_model(artifact_dir):\n    return lambda rows: {'prediction': float(len(rows))}\n"
    )
    base_schemas["request"] = {"type": "array", "items": {"type": "number"}, "examples": [[1, 2]]}
    client = client_for(create_app(make_model(base_schemas, code)))
    response = client.post("/invocations", content=b"[1, 2, 3]", headers=JSON)
    assert response.status_code == 200
    assert response.json() == {"prediction": 3.0}
