"""stainless.serving.requests: a request's format, size and ids from its headers, in-process; and
batches, through the app: a JSON array of requests, or JSON Lines (as SageMaker batch transform
sends)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import stainless.serving.requests as reading
from stainless.serving import ServingSettings, create_app
from stainless.serving.errors import ORIGIN_HEADER, ServingError

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


def test_the_format_comes_from_the_media_type_and_defaults_to_json():
    assert reading.request_format([]) == (reading.JSON, None)
    assert reading.request_format([(b"content-type", b"Application/JSON; charset=utf-8")]) == (
        reading.JSON,
        None,
    )
    assert reading.request_format(
        [(b"content-type", b"application/x-ndjson"), (b"content-length", b"42")]
    ) == (reading.LINES, 42)


def test_unreadable_headers_are_the_clients_error():
    with pytest.raises(ServingError) as unsupported:
        reading.request_format([(b"content-type", b"text/csv")])
    assert unsupported.value.status == 415 and "'text/csv'" in unsupported.value.message
    assert "application/jsonlines" in unsupported.value.message  # what to send instead
    with pytest.raises(ServingError) as length:
        reading.request_format([(b"content-length", b"many")])
    assert length.value.status == 400


def test_an_oversized_body_is_a_413_naming_the_setting():
    messages = [{"type": "http.request", "body": b"x" * 20, "more_body": False}]

    async def receive() -> dict:
        return messages.pop(0)

    with pytest.raises(ServingError) as refused:
        asyncio.run(reading.read_body(receive, None, limit=10))
    assert refused.value.status == 413
    assert "serving.max_body_bytes" in refused.value.message


def test_the_caller_may_choose_the_request_id_else_one_is_made():
    chosen, variant = reading.request_id_and_variant(
        [(b"x-amzn-sagemaker-inference-id", b"order-17"), (b"x-stainless-variant", b"v2")]
    )
    assert (chosen, variant) == ("order-17", "v2")
    made, none = reading.request_id_and_variant([])
    assert none is None and len(made) == 32 and made != reading.request_id_and_variant([])[0]
    long, _ = reading.request_id_and_variant([(b"x-amzn-sagemaker-inference-id", b"i" * 500)])
    assert len(long) == 64  # bounded: it lands in captured records and logs
