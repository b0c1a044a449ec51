"""The in-process HTTP client of the suite, against a real ASGI app in this process."""

from __future__ import annotations

import json
from typing import Any

from stainless.testing.client import InProcessClient


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app answering every request with its method, path and body."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    answer = json.dumps({"method": scope["method"], "path": scope["path"], "body": body.decode()})
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": answer.encode()})


def test_requests_reach_the_app_on_one_event_loop():
    client = InProcessClient(echo)
    try:
        assert client.get("/ping").json() == {"method": "GET", "path": "/ping", "body": ""}
        answer = client.post("/invocations", content=b'{"x": 1}')
        assert answer.status_code == 200 and answer.json()["body"] == '{"x": 1}'
        loop = client._loop
        client.get("/again")
        assert client._loop is loop and not loop.is_closed()
    finally:
        client.close()
    assert loop.is_closed()
