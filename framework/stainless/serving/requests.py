"""Reading a request: its format (from Content-Type) and its body, bounded in size."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from stainless.serving.errors import client_error

JSON = "json"
LINES = "jsonlines"
# SageMaker batch transform sends JSON Lines as application/jsonlines; the others are aliases
# seen in the wild. A missing Content-Type is taken as JSON (boto3 and curl -d differ here).
FORMATS: dict[bytes, str] = {
    b"application/json": JSON,
    b"application/jsonlines": LINES,
    b"application/x-jsonlines": LINES,
    b"application/jsonl": LINES,
    b"application/x-ndjson": LINES,
}


def request_format(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, int | None]:
    """(JSON or LINES, the declared Content-Length or None); 415/400 for what we cannot read."""
    content_type = None
    length = None
    for name, value in headers:
        if name == b"content-type":
            content_type = value
        elif name == b"content-length":
            length = value
    kind = JSON
    if content_type is not None:
        media = content_type.split(b";", 1)[0].strip().lower()
        found = FORMATS.get(media)
        if found is None:
            shown = media.decode("latin-1")[:80]
            raise client_error(
                415,
                f"unsupported Content-Type {shown!r}; send application/json "
                "(one request or a JSON array of requests) or application/jsonlines",
            )
        kind = found
    declared = None
    if length is not None:
        try:
            declared = int(length)
        except ValueError:
            raise client_error(400, "the Content-Length header is not a number") from None
    return kind, declared


async def read_body(
    receive: Callable[[], Awaitable[dict[str, Any]]], declared: int | None, limit: int
) -> bytes | None:
    """The whole body, or ``None`` if the client disconnected; 413 past ``limit`` bytes,
    decided from Content-Length when given and enforced while reading either way."""
    if declared is not None and declared > limit:
        raise _too_large(f"{declared} bytes", limit)
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise _too_large(f"{len(body)} bytes", limit)
        return body
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(f"more than {limit} bytes", limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(size: str, limit: int) -> Exception:
    return client_error(
        413,
        f"the request body ({size}) exceeds the limit of {limit} bytes "
        "(serving.max_body_bytes in model.yaml); send smaller batches",
    )


# Every answer carries a request id, the key a labels query joins captured traffic on. A caller
# may choose it (SageMaker's InvokeEndpoint InferenceId header); else the server makes one.
REQUEST_ID_HEADER = b"x-stainless-request-id"
INFERENCE_ID_HEADER = b"x-amzn-sagemaker-inference-id"
# Set by the local endpoint's router: which production variant this server is.
VARIANT_HEADER = b"x-stainless-variant"


def request_id_and_variant(headers: list[tuple[bytes, bytes]]) -> tuple[str, str | None]:
    request_id = variant = None
    for name, value in headers:
        if name == INFERENCE_ID_HEADER:
            request_id = value.decode("latin-1")[:64]
        elif name == VARIANT_HEADER:
            variant = value.decode("latin-1")[:63]
    return request_id or os.urandom(16).hex(), variant
