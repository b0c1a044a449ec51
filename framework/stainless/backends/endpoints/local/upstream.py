"""A minimal HTTP/1.1 client for the router's calls to its variants, with keep-alive pools.

Why not httpx: its async connection pool costs about 2 ms of CPU per request, which capped the
router at a few hundred requests per second on a small machine; this does one write and a
couple of reads per request. It only needs to talk to our own model servers on loopback
(uvicorn): requests with a ``Content-Length`` body, answers with ``Content-Length`` or chunked.
"""

from __future__ import annotations

import asyncio
import socket
from collections import defaultdict
from dataclasses import dataclass

MAX_HEAD_BYTES = 64 * 1024


class UpstreamError(Exception):
    """No usable answer: refused, reset, closed early or malformed (the variant is broken)."""


class UpstreamTimeout(UpstreamError):
    """No answer within the timeout."""


@dataclass(frozen=True)
class UpstreamResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class UpstreamPool:
    def __init__(self, timeout_s: float, max_idle_per_host: int = 64) -> None:
        self.timeout_s = timeout_s
        self.max_idle_per_host = max_idle_per_host
        self._idle: dict[tuple[str, int], list[Connection]] = defaultdict(list)

    async def post(
        self, host: str, port: int, path: str, body: bytes, headers: dict[str, str]
    ) -> UpstreamResponse:
        head = [f"POST {path} HTTP/1.1", f"host: {host}:{port}", f"content-length: {len(body)}"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        message = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        connection: Connection | None = None
        try:
            async with asyncio.timeout(self.timeout_s):
                connection = self._take(host, port)
                reused = connection is not None
                if connection is None:
                    connection = await _connect(host, port)
                try:
                    response, keep = await _exchange(connection, message)
                except _ClosedBeforeAnswer:
                    _close(connection)
                    connection = None
                    if not reused:
                        raise UpstreamError("the server closed the connection") from None
                    # A kept-alive connection the server had just closed: retry on a new one.
                    connection = await _connect(host, port)
                    response, keep = await _exchange(connection, message)
        except TimeoutError:
            if connection is not None:
                _close(connection)  # an answer may still arrive on it: never reuse it
            raise UpstreamTimeout(f"no answer within {self.timeout_s:g}s") from None
        except (
            OSError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            ValueError,
            _ClosedBeforeAnswer,
        ) as exc:
            if connection is not None:
                _close(connection)
            raise UpstreamError(f"{type(exc).__name__}: {exc}") from None
        if keep and len(self._idle[(host, port)]) < self.max_idle_per_host:
            self._idle[(host, port)].append(connection)
        else:
            _close(connection)
        return response

    def _take(self, host: str, port: int) -> Connection | None:
        idle = self._idle[(host, port)]
        while idle:
            connection = idle.pop()
            reader, writer = connection
            if not reader.at_eof() and not writer.is_closing():
                return connection
            _close(connection)
        return None

    async def aclose(self) -> None:
        for connections in self._idle.values():
            for connection in connections:
                _close(connection)
        self._idle.clear()


class _ClosedBeforeAnswer(Exception):
    pass


async def _connect(host: str, port: int) -> Connection:
    reader, writer = await asyncio.open_connection(host, port, limit=MAX_HEAD_BYTES)
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


async def _exchange(connection: Connection, message: bytes) -> tuple[UpstreamResponse, bool]:
    reader, writer = connection
    writer.write(message)
    await writer.drain()
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise _ClosedBeforeAnswer from None
        raise
    lines = head.decode("latin-1").split("\r\n")
    version, status, *_ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:  # delimited by the end of the connection
        body, keep = await reader.read(), False
    return UpstreamResponse(int(status), headers, body), keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers from our servers
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


def _close(connection: Connection) -> None:
    connection[1].close()
