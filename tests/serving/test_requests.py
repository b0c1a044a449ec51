"""stainless.serving.requests: a request's format, size and ids from its headers (the server
that uses them runs in tests/serving/test_app.py)."""

from __future__ import annotations

import asyncio

import pytest
from stainless.serving.errors import ServingError
from stainless.serving.requests import (
    JSON,
    LINES,
    read_body,
    request_format,
    request_id_and_variant,
)


def test_the_format_comes_from_the_media_type_and_defaults_to_json():
    assert request_format([]) == (JSON, None)
    assert request_format([(b"content-type", b"Application/JSON; charset=utf-8")]) == (JSON, None)
    assert request_format(
        [(b"content-type", b"application/x-ndjson"), (b"content-length", b"42")]
    ) == (LINES, 42)


def test_unreadable_headers_are_the_clients_error():
    with pytest.raises(ServingError) as unsupported:
        request_format([(b"content-type", b"text/csv")])
    assert unsupported.value.status == 415 and "'text/csv'" in unsupported.value.message
    assert "application/jsonlines" in unsupported.value.message  # what to send instead
    with pytest.raises(ServingError) as length:
        request_format([(b"content-length", b"many")])
    assert length.value.status == 400


def test_an_oversized_body_is_a_413_naming_the_setting():
    messages = [{"type": "http.request", "body": b"x" * 20, "more_body": False}]

    async def receive() -> dict:
        return messages.pop(0)

    with pytest.raises(ServingError) as refused:
        asyncio.run(read_body(receive, None, limit=10))
    assert refused.value.status == 413
    assert "serving.max_body_bytes" in refused.value.message


def test_the_caller_may_choose_the_request_id_else_one_is_made():
    chosen, variant = request_id_and_variant(
        [(b"x-amzn-sagemaker-inference-id", b"order-17"), (b"x-stainless-variant", b"v2")]
    )
    assert (chosen, variant) == ("order-17", "v2")
    made, none = request_id_and_variant([])
    assert none is None and len(made) == 32 and made != request_id_and_variant([])[0]
    long, _ = request_id_and_variant([(b"x-amzn-sagemaker-inference-id", b"i" * 500)])
    assert len(long) == 64  # bounded: it lands in captured records and logs
