"""Each answer in one write: the real app behind the real protocol on a real loopback socket,
with the transport's writes recorded on their way to the socket."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from stainless.project.runtime import LoadedModel
from stainless.serving import create_app
from stainless.serving.protocol import JoinedWritesProtocol
from uvicorn.server import ServerState

BODY = b'{"x": 2}'
POST = (
    b"POST /invocations HTTP/1.1\r\nHost: m\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n%s\r\n%s"
)


class Recorded:
    """A connection's real transport, recording what is written to it."""

    def __init__(self, transport: Any, writes: list[bytes]) -> None:
        self._transport = transport
        self.writes = writes

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))
        self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


async def exchange(app: Any, request: bytes, answers: int) -> tuple[list[bytes], bytes]:
    """(the server's writes, what the client read) for ``request`` on one connection."""
    config = uvicorn.Config(app, http=JoinedWritesProtocol, lifespan="off", proxy_headers=False)
    config.load()
    state = ServerState()
    writes: list[bytes] = []

    def protocol() -> JoinedWritesProtocol:
        made = JoinedWritesProtocol(config=config, server_state=state, app_state={})
        connection_made = made.connection_made
        made.connection_made = lambda t: connection_made(Recorded(t, writes))  # type: ignore[method-assign]
        return made

    server = await asyncio.get_running_loop().create_server(protocol, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    received = b""
    while received.count(b"HTTP/1.1 ") < answers or not received.endswith((b"}", b"\n")):
        chunk = await asyncio.wait_for(reader.read(65536), 5)
        if not chunk:
            break
        received += chunk
    writer.close()
    server.close()
    return writes, received


def test_an_answer_is_one_write_head_and_body(model: LoadedModel) -> None:
    writes, received = asyncio.run(exchange(create_app(model), POST % (len(BODY), b"", BODY), 1))
    assert len(writes) == 1
    assert writes[0] == received
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.endswith(b'\r\n\r\n{"prediction":4.0}')


def test_keep_alive_answers_are_one_write_each(model: LoadedModel) -> None:
    two = POST % (len(BODY), b"", BODY) + POST % (len(BODY), b"", BODY)
    writes, received = asyncio.run(exchange(create_app(model), two, 2))
    assert received.count(b'{"prediction":4.0}') == 2
    assert len(writes) == 2
    assert all(w.startswith(b"HTTP/1.1 200 OK\r\n") for w in writes)


def test_connection_close_writes_the_answer_before_closing(model: LoadedModel) -> None:
    request = POST % (len(BODY), b"Connection: close\r\n", BODY)
    writes, received = asyncio.run(exchange(create_app(model), request, 1))
    assert len(writes) == 1
    assert received.endswith(b'{"prediction":4.0}')
    assert b"connection: close" in received.lower()


def test_head_and_errors_are_whole_answers(model: LoadedModel) -> None:
    app = create_app(model)
    head = b"HEAD /ping HTTP/1.1\r\nHost: m\r\n\r\n"
    writes, received = asyncio.run(exchange(app, head, 1))
    assert len(writes) == 1
    assert received.startswith(b"HTTP/1.1 200 OK\r\n") and received.endswith(b"\r\n\r\n")
    bad = b"{"
    writes, received = asyncio.run(exchange(app, POST % (len(bad), b"", bad), 1))
    assert len(writes) == 1
    assert received.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"not valid JSON" in received
