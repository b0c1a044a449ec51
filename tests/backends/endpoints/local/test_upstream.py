"""The router's HTTP/1.1 client against real loopback sockets: keep-alive reuse, a kept-alive
connection the server closed, chunked answers, refusals and timeouts."""

from __future__ import annotations

import asyncio
import socket

import pytest
from stainless.backends.endpoints.local.upstream import UpstreamError, UpstreamPool, UpstreamTimeout


async def _server(answers: list[bytes], close_after_each: bool, delay_s: float = 0.0):
    """A server answering each request with the next canned answer; returns (server, port,
    number of connections accepted)."""
    accepted = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted[0] += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                await reader.readexactly(length)
                await asyncio.sleep(delay_s)
                writer.write(answers.pop(0))
                await writer.drain()
                if close_after_each:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], accepted


def ok(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\nx-stainless-a: 1\r\n\r\n%s" % (
        len(body),
        body,
    )


def test_keep_alive_chunked_and_a_connection_closed_by_the_server() -> None:
    async def scenario() -> None:
        chunked = (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        )
        server, port, accepted = await _server([ok(b"one"), ok(b"two"), chunked], False)
        pool = UpstreamPool(timeout_s=2)
        first = await pool.post("127.0.0.1", port, "/invocations", b"{}", {"accept": "x"})
        assert (first.status, first.body, first.headers["x-stainless-a"]) == (200, b"one", "1")
        assert (await pool.post("127.0.0.1", port, "/invocations", b"{}", {})).body == b"two"
        assert (await pool.post("127.0.0.1", port, "/invocations", b"{}", {})).body == b"abcde"
        assert accepted[0] == 1  # one kept-alive connection for all three
        await pool.aclose()
        server.close()

        # The server closes after each answer without saying so (an idle keep-alive timeout):
        # the next request is retried on a new connection instead of failing.
        server, port, accepted = await _server([ok(b"a"), ok(b"b")], True)
        assert (await pool.post("127.0.0.1", port, "/x", b"{}", {})).body == b"a"
        assert (await pool.post("127.0.0.1", port, "/x", b"{}", {})).body == b"b"
        assert accepted[0] == 2
        await pool.aclose()
        server.close()

    asyncio.run(scenario())


def test_refused_and_slow_servers_are_upstream_errors() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]

    async def scenario() -> None:
        pool = UpstreamPool(timeout_s=0.1)
        with pytest.raises(UpstreamError) as refused:
            await pool.post("127.0.0.1", closed, "/x", b"{}", {})
        assert not isinstance(refused.value, UpstreamTimeout)
        server, port, _ = await _server([ok(b"late")], False, delay_s=0.5)
        with pytest.raises(UpstreamTimeout):
            await pool.post("127.0.0.1", port, "/x", b"{}", {})
        await asyncio.sleep(0.7)  # let the slow handler finish and close its socket
        await pool.aclose()
        server.close()

    asyncio.run(scenario())
