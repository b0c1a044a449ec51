"""Reading a request: its format (from Content-Type) and its body, bounded in size."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from stainless.serving.errors import client_error

# Bodies past the limit are still read (and thrown away) up to this much, so a client that sends
# its whole body before reading the answer (urllib, many SDKs) sees the 413 and not a broken
# pipe; beyond it, or after DRAIN_S, the connection is closed unread.
DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_S = 10.0

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
        if declared <= DRAIN_BYTES:
            await discard_rest(receive, DRAIN_BYTES)
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
            if message.get("more_body", False):
                await discard_rest(receive, DRAIN_BYTES - size)
            raise _too_large(f"more than {limit} bytes", limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def discard_rest(
    receive: Callable[[], Awaitable[dict[str, Any]]], budget: int, seconds: float = DRAIN_S
) -> bool:
    """Read and drop the rest of a request body, at most ``budget`` bytes within ``seconds``;
    True when the whole body was read (the connection can then be kept alive)."""
    deadline = time.monotonic() + seconds
    while budget > 0:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        try:
            message = await asyncio.wait_for(receive(), left)
        except TimeoutError:
            return False
        if message["type"] == "http.disconnect":
            return False
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return True
    return False


def _too_large(size: str, limit: int) -> Exception:
    return client_error(
        413,
        f"the request body ({size}) exceeds the limit of {limit} bytes "
        "(serving.max_body_bytes in model.yaml); send smaller batches",
    )
