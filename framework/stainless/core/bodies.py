"""Reading an ASGI request body with a size limit, without ever holding more than the limit,
and without leaving a client that sends its whole body first with a broken pipe.

Shared by the model server and the local endpoint's router (which sit in different layers).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

# An ASGI receive callable (Starlette types its messages as MutableMapping).
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

# Bodies past the limit are still read (and thrown away) up to this much, so a client that sends
# its whole body before reading the answer (urllib, many SDKs) sees the 413 and not a broken
# pipe; beyond it, or after DRAIN_S, the connection is closed unread.
DRAIN_BYTES = 64 * 1024 * 1024
DRAIN_S = 10.0


class BodyTooLarge(Exception):
    def __init__(self, size: str) -> None:
        super().__init__(size)
        self.size = size  # "N bytes" when known, else "more than N bytes"


async def read_bounded_body(receive: Receive, declared: int | None, limit: int) -> bytes | None:
    """The whole body, or ``None`` if the client disconnected; :class:`BodyTooLarge` past
    ``limit`` bytes, decided from Content-Length when given and enforced while reading."""
    if declared is not None and declared > limit:
        if declared <= DRAIN_BYTES:
            await discard_rest(receive, DRAIN_BYTES)
        raise BodyTooLarge(f"{declared} bytes")
    message = await receive()
    if message["type"] == "http.disconnect":
        return None
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise BodyTooLarge(f"{len(body)} bytes")
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
            raise BodyTooLarge(f"more than {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def discard_rest(receive: Receive, budget: int, seconds: float = DRAIN_S) -> bool:
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
