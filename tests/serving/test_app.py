"""The server contract, in-process: status codes, the error-origin header, bounded bodies."""

from __future__ import annotations

import logging
import re
from typing import Any

import orjson
import pytest
from stainless.core.bodies import DRAIN_BYTES
from stainless.serving import ServingSettings, create_app
from stainless.serving.errors import ORIGIN_HEADER

ORIGIN = ORIGIN_HEADER.decode()
JSON = {"content-type": "application/json"}


@pytest.fixture
def client(model: Any, client_for: Any) -> Any:
    return client_for(create_app(model, name="m", version="3"))


def error_of(response: Any, status: int, origin: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers[ORIGIN] == origin
    assert response.headers["content-type"] == "application/json"
    return response.json()["error"]


def test_ping_is_healthy_after_the_self_test(client: Any) -> None:
    response = client.get("/ping")
    assert response.status_code == 200
    assert response.json() == {"status": "healthy", "model": "m", "version": "3"}
    assert ORIGIN not in response.headers


def test_ping_is_503_when_the_examples_fail(
    make_model: Any, client_for: Any, base_schemas: dict[str, Any]
) -> None:
    base_schemas["request"]["examples"] = [{"x": 13}]
    client = client_for(create_app(make_model(base_schemas)))
    error = error_of(client.get("/ping"), 503, "model")
    assert "self-test failed" in error["message"] and "unlucky" in error["message"]


def test_valid_request_gets_the_prediction_and_version_header(client: Any) -> None:
    response = client.post("/invocations", content=b'{"x": 2}', headers=JSON)
    assert response.status_code == 200
    assert response.json() == {"prediction": 4.0}
    assert response.headers["x-stainless-model-version"] == "3"
    assert ORIGIN not in response.headers


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", None])
def test_json_content_type_variants_are_accepted(client: Any, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/invocations", content=b'{"x": 1}', headers=headers)
    assert response.status_code == 200


def test_invalid_request_is_400_naming_the_field(client: Any) -> None:
    error = error_of(
        client.post("/invocations", content=b'{"x": "two"}', headers=JSON), 400, "client"
    )
    assert error["violations"][0]["path"] == "/x"
    assert "number" in error["violations"][0]["message"]


def test_error_body_never_echoes_a_huge_payload(client: Any) -> None:
    huge = "a" * 1_000_000
    response = client.post("/invocations", content=orjson.dumps({"x": huge}), headers=JSON)
    error_of(response, 400, "client")
    assert len(response.content) < 3000


@pytest.mark.parametrize(
    "body",
    [
        b'{"x": NaN}',
        b'{"x": Infinity}',
        b'{"x": -Infinity}',
        b"\xff\xfe{",
        b'{"x": "\xc3\x28"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"x": 1} {"x": 2}',
        b"",
        b'{"x": 1',
        b"nul",
    ],
    ids=[
        "nan",
        "inf",
        "-inf",
        "bad-utf8",
        "bad-utf8-in-string",
        "deep",
        "two-docs",
        "empty",
        "truncated",
        "garbage",
    ],
)
def test_malformed_json_is_400(client: Any, body: bytes) -> None:
    error = error_of(client.post("/invocations", content=body, headers=JSON), 400, "client")
    assert "not valid JSON" in error["message"]


@pytest.mark.parametrize(
    "body", [b"1", b'"x"', b"null", b"true", b'{"x": [1]}', b"{}", b'{"x": 1, "extra": 2}']
)
def test_wrong_types_are_400(client: Any, body: bytes) -> None:
    error_of(client.post("/invocations", content=body, headers=JSON), 400, "client")


def test_wrong_content_type_is_415(client: Any) -> None:
    response = client.post(
        "/invocations",
        content=b"x=1",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert "application/json" in error_of(response, 415, "client")["message"]


def test_declared_body_over_the_limit_is_413(model: Any, client_for: Any) -> None:
    client = client_for(create_app(model, ServingSettings(max_body_bytes=1024)))
    response = client.post("/invocations", content=b" " * 2000 + b'{"x": 1}', headers=JSON)
    assert "max_body_bytes" in error_of(response, 413, "client")["message"]


def test_streamed_body_over_the_limit_is_413_and_drained_only_up_to_a_bound(model: Any) -> None:
    import asyncio

    app = create_app(model, ServingSettings(max_body_bytes=1024))
    received = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:  # a client that would stream forever, no length
        nonlocal received
        received += 1
        return {"type": "http.request", "body": b" " * 512, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/invocations",
        "headers": [(b"content-type", b"application/json")],
    }
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert (ORIGIN_HEADER, b"client") in sent[0]["headers"]
    # The answer goes out first; then the server reads (and drops) at most DRAIN_BYTES so a
    # client that sends its whole body before reading sees the 413, never the whole stream.
    assert received * 512 <= DRAIN_BYTES + 512


def test_model_exception_is_500_with_an_error_id_that_is_logged(
    client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="stainless.serving"):
        response = client.post("/invocations", content=b'{"x": 13}', headers=JSON)
    error = error_of(response, 500, "model")
    assert re.fullmatch(r"[0-9a-f]{12}", error["error_id"])
    assert "RuntimeError" in error["message"] and "unlucky" not in error["message"]
    logged = [r for r in caplog.records if error["error_id"] in r.getMessage()]
    assert logged
    # The traceback is logged: as exc_info, or already formatted (and secret-masked) by
    # stainless.core.redact's record factory.
    record = logged[0]
    traceback_text = record.exc_text or ""
    assert record.exc_info is not None or "RuntimeError: unlucky number" in traceback_text


@pytest.mark.parametrize("x", [7, 8, 9], ids=["string", "numpy-float", "nan"])
def test_response_breaking_the_schema_is_500_response(
    client: Any, x: int, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="stainless.serving"):
        response = client.post("/invocations", content=orjson.dumps({"x": x}), headers=JSON)
    error = error_of(response, 500, "response")
    assert error["error_id"] in caplog.text
    metrics = client.get("/metrics").text
    assert 'stainless_validation_failures_total{kind="response"} 1.0' in metrics
    assert 'stainless_invocations_total{origin="response",status_class="5xx"} 1.0' in metrics


def test_not_found_and_wrong_method_carry_the_origin_header(client: Any) -> None:
    error_of(client.get("/nope"), 404, "client")
    response = client.get("/invocations")
    error_of(response, 405, "client")
    assert response.headers["allow"] == "POST"


def test_metrics_count_by_status_class_and_origin(client: Any) -> None:
    client.post("/invocations", content=b'{"x": 1}', headers=JSON)
    client.post("/invocations", content=b'{"x": 1}', headers=JSON)
    client.post("/invocations", content=b'{"x": "a"}', headers=JSON)
    client.post("/invocations", content=b'{"x": 13}', headers=JSON)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'stainless_invocations_total{origin="none",status_class="2xx"} 2.0' in text
    assert 'stainless_invocations_total{origin="client",status_class="4xx"} 1.0' in text
    assert 'stainless_invocations_total{origin="model",status_class="5xx"} 1.0' in text
    assert 'stainless_validation_failures_total{kind="request"} 1.0' in text
    assert 'stainless_validation_failures_total{kind="response"} 0.0' in text
    assert "stainless_invocation_duration_seconds_count 4.0" in text
    assert 'stainless_model_info{model="m",version="3"} 1.0' in text


def test_two_apps_in_one_process_keep_separate_metrics(model: Any, client_for: Any) -> None:
    first, second = client_for(create_app(model)), client_for(create_app(model))
    first.post("/invocations", content=b'{"x": 1}', headers=JSON)
    assert 'origin="none",status_class="2xx"} 1.0' in first.get("/metrics").text
    assert 'origin="none",status_class="2xx"} 1.0' not in second.get("/metrics").text
