"""uvicorn's httptools protocol, with each response written to the socket in one call.

uvicorn writes a response's head (status line and headers) when the app sends
``http.response.start`` and its body when the app sends ``http.response.body``: two ``send``
system calls, two TCP segments and two wake-ups of the client for every answer. On loopback
the sender also pays the receiver's TCP processing, so the second write cost the server about
as much as a third of the rest of its per-request HTTP work. Here the writes a connection makes
during one turn of the event loop are joined and written at the end of that turn (the head and
body of a response are sent in the same turn), so an answer is one system call; nothing waits
for more data than is already there.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _JoinedWrites:
    """Stands in for a connection's transport: ``write`` queues, the loop's next turn writes.

    Everything else is the real transport's; ``close`` writes what is queued first, ``abort``
    drops it (as the real transport's ``abort`` drops its own buffer).
    """

    __slots__ = ("_loop", "_queued", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._queued: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._queued:
            self._loop.call_soon(self._flush)
        self._queued.append(data)

    def _flush(self) -> None:
        queued = self._queued
        if not queued:
            return
        self._queued = []
        if not self._transport.is_closing():
            self._transport.write(queued[0] if len(queued) == 1 else b"".join(queued))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._queued = []
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class JoinedWritesProtocol(HttpToolsProtocol):
    """uvicorn's httptools HTTP/1.1 protocol, writing each response in one system call."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses: no isinstance check.
        joined = _JoinedWrites(cast(asyncio.Transport, transport), self.loop)
        super().connection_made(cast(asyncio.Transport, joined))
