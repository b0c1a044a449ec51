"""stainless.core.bodies: a request body read under a limit, over ASGI's receive protocol (the
messages a server hands the app; the whole servers run in tests/serving/test_app.py)."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest
from stainless.core.bodies import BodyTooLarge, discard_rest, read_bounded_body


class Client:
    """The receive side of one request: ``chunks`` of body, then nothing (a client that waits
    for the answer), or a disconnect."""

    def __init__(self, *chunks: bytes, disconnect: bool = False) -> None:
        self.messages: list[MutableMapping[str, Any]] = [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
            for i, chunk in enumerate(chunks)
        ]
        if disconnect:
            self.messages[-1]["more_body"] = True
            self.messages.append({"type": "http.disconnect"})
        self.read = 0

    async def receive(self) -> MutableMapping[str, Any]:
        if self.read >= len(self.messages):
            await asyncio.sleep(3600)  # the client sent everything and waits
        self.read += 1
        return self.messages[self.read - 1]


def read(client: Client, declared: int | None, limit: int) -> bytes | None:
    return asyncio.run(read_bounded_body(client.receive, declared, limit))


def test_a_body_within_the_limit_is_read_whole_from_its_chunks():
    assert read(Client(b"abc"), 3, limit=10) == b"abc"
    assert read(Client(b"ab", b"cd", b"e"), None, limit=5) == b"abcde"


def test_a_declared_length_over_the_limit_is_refused_and_the_body_drained():
    client = Client(b"x" * 8, b"x" * 8)
    with pytest.raises(BodyTooLarge) as refused:
        read(client, 16, limit=10)
    assert refused.value.size == "16 bytes"
    assert client.read == 2  # drained, so the client reads the 413 instead of a broken pipe


def test_a_body_growing_past_the_limit_is_refused_while_reading():
    client = Client(b"x" * 6, b"x" * 6, b"x" * 6)
    with pytest.raises(BodyTooLarge) as refused:
        read(client, None, limit=10)
    assert refused.value.size == "more than 10 bytes"
    assert client.read == 3
    with pytest.raises(BodyTooLarge, match="11 bytes"):
        read(Client(b"x" * 11), None, limit=10)  # one chunk, no Content-Length


def test_a_client_that_disconnects_gives_no_body():
    assert read(Client(b"ab", disconnect=True), None, limit=10) is None


def test_draining_stops_at_its_budget_and_its_deadline():
    many = Client(*[b"x" * 10] * 5)
    assert not asyncio.run(discard_rest(many.receive, budget=25))
    assert many.read == 3  # stopped once 30 bytes exceeded the budget of 25
    assert asyncio.run(discard_rest(Client(b"x" * 10).receive, budget=25))
    silent = Client(b"x")
    silent.read = 1  # the client sent everything already and waits for the answer
    assert not asyncio.run(discard_rest(silent.receive, budget=100, seconds=0.05))
