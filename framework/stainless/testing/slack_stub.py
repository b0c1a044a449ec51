"""A small, real HTTP stand-in for the Slack Web API and incoming webhooks.

It speaks enough of the wire protocol for the real slack-sdk clients (``WebClient(base_url=...)``,
``WebhookClient(url)``): ``auth.test``, ``chat.postMessage``, the ``files_upload_v2`` flow
(``files.getUploadURLExternal`` -> upload URL -> ``files.completeUploadExternal``), ``files.info``,
and an incoming-webhook path. Every call is recorded. It can be told to answer the next N calls
with HTTP 429 (+ Retry-After), a 5xx, or ``{"ok": false, "error": ...}`` to exercise retries.

    with SlackStub() as slack:
        client = WebClient(token=slack.token, base_url=slack.base_url)
        client.chat_postMessage(channel="#ml", text="hi")
        assert slack.messages[0]["text"] == "hi"
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

DEFAULT_TOKEN = "xoxb-stub-0000-secret-token"
WEBHOOK_PATH = "/services/T0STUB/B0STUB/stub-webhook-secret"


@dataclass
class SlackCall:
    """One request the stub received (recorded even when it was answered with a failure)."""

    method: str  # API method ("chat.postMessage"), "upload" or "webhook"
    path: str
    headers: dict[str, str]
    params: dict[str, Any]  # JSON body, form fields and query string, merged
    body: bytes
    failed: bool = False  # answered with an injected failure
    response: Any = None  # the JSON answer (API methods), or the text answer


@dataclass
class _Failure:
    status: int = 200
    retry_after: int | None = None
    error: str | None = None
    method: str | None = None  # only calls to this method (None: any call)
    delay_s: float = 0.0  # answer only after this long (a hanging Slack)


@dataclass
class _Upload:
    file_id: str
    filename: str
    length: int
    data: bytes | None = None
    title: str | None = None
    channel_id: str | None = None
    thread_ts: str | None = None


@dataclass
class SlackStub:
    token: str = DEFAULT_TOKEN
    # Loopback by default; the rehearsal binds the Docker bridge's gateway so containers reach it.
    host: str = "127.0.0.1"
    calls: list[SlackCall] = field(default_factory=list)
    _failures: deque[_Failure] = field(default_factory=deque)
    _uploads: dict[str, _Upload] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SlackStub:
        stub = self

        class Handler(_Handler):
            slack = stub

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> SlackStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------------
    @property
    def root_url(self) -> str:
        assert self._server is not None, "SlackStub is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host if isinstance(host, str) else host.decode()}:{port}"

    @property
    def base_url(self) -> str:
        """What ``WebClient(base_url=...)`` / ``SLACK_API_URL`` should be."""
        return f"{self.root_url}/api/"

    @property
    def webhook_url(self) -> str:
        return f"{self.root_url}{WEBHOOK_PATH}"

    # -- failure injection -----------------------------------------------------------------------
    # Each answers the next ``count`` calls (to ``method`` only, when given: "chat.postMessage",
    # "files.getUploadURLExternal", "upload", "webhook", ...), then the stub behaves again.
    def rate_limit_next(
        self, count: int = 1, retry_after: int = 0, method: str | None = None
    ) -> None:
        """HTTP 429 with ``Retry-After: retry_after``."""
        self._queue(count, _Failure(status=429, retry_after=retry_after, method=method))

    def server_error_next(
        self, count: int = 1, status: int = 500, method: str | None = None
    ) -> None:
        """HTTP ``status`` (a 5xx) with a plain-text body, as a failing load balancer sends."""
        self._queue(count, _Failure(status=status, method=method))

    def api_error_next(
        self, count: int = 1, error: str = "channel_not_found", method: str | None = None
    ) -> None:
        """``{"ok": false, "error": error}`` (webhooks: HTTP 404 with the error as text)."""
        self._queue(count, _Failure(error=error, method=method))

    def hang_next(self, count: int = 1, seconds: float = 30.0, method: str | None = None) -> None:
        """Hold the answer ``seconds`` (then answer normally), as an overloaded Slack does."""
        self._queue(count, _Failure(delay_s=seconds, method=method))

    def _queue(self, count: int, failure: _Failure) -> None:
        with self._lock:
            self._failures.extend([failure] * count)

    # -- what was received -----------------------------------------------------------------------
    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Parameters of every *successful* chat.postMessage and webhook post, in order."""
        with self._lock:
            return [
                c.params
                for c in self.calls
                if c.method in ("chat.postMessage", "webhook") and not c.failed
            ]

    @property
    def uploaded_files(self) -> list[dict[str, Any]]:
        """Files shared by files.completeUploadExternal: name, title, bytes, channel, thread."""
        with self._lock:
            return [
                {
                    "id": u.file_id,
                    "filename": u.filename,
                    "title": u.title,
                    "data": u.data,
                    "channel_id": u.channel_id,
                    "thread_ts": u.thread_ts,
                }
                for u in self._uploads.values()
                if u.channel_id is not None
            ]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._uploads.clear()

    # -- behaviour (called from handler threads) -------------------------------------------------
    def _record(self, call: SlackCall) -> _Failure | None:
        with self._lock:
            failure = next((f for f in self._failures if f.method in (None, call.method)), None)
            if failure is not None:
                self._failures.remove(failure)
            call.failed = failure is not None and not _only_slow(failure)
            self.calls.append(call)
            return failure

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}{next(self._counter):08d}"

    def _api(self, method: str, params: dict[str, Any], auth: str | None) -> dict[str, Any]:
        bearer = (auth or "").removeprefix("Bearer ").strip() or params.get("token")
        if bearer != self.token:
            return {"ok": False, "error": "not_authed" if not bearer else "invalid_auth"}
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        return handler(params)

    def _api_auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"{self.root_url}/",
            "team": "Stub",
            "user": "stainless",
            "team_id": "T0STUB",
            "user_id": "U0STUB",
            "bot_id": "B0STUB",
        }

    def _api_chat_postMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            return {"ok": False, "error": "no_text"}
        ts = f"1700000000.{self._next_id('')}"
        message = {k: params[k] for k in ("text", "blocks") if k in params}
        return {
            "ok": True,
            "channel": _channel_id(channel),
            "ts": ts,
            "message": {"type": "message", "ts": ts, "bot_id": "B0STUB", **message},
        }

    def _api_files_getUploadURLExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = self._next_id("F")
        with self._lock:
            self._uploads[file_id] = _Upload(file_id, params["filename"], int(params["length"]))
        return {"ok": True, "upload_url": f"{self.root_url}/upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            files = json.loads(params.get("files", ""))
        except json.JSONDecodeError:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        with self._lock:
            for item in files:
                upload = self._uploads.get(item.get("id", ""))
                if upload is None or upload.data is None:
                    return {"ok": False, "error": "file_not_found"}
                upload.title = item.get("title") or upload.filename
                upload.channel_id = params.get("channel_id") or params.get("channels") or ""
                upload.thread_ts = params.get("thread_ts")
                done.append(_file_info(upload))
        return {"ok": True, "files": done}

    def _api_files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            upload = self._uploads.get(params.get("file", ""))
            if upload is None:
                return {"ok": False, "error": "file_not_found"}
            return {"ok": True, "file": _file_info(upload)}

    def _receive_upload(self, file_id: str, data: bytes) -> bool:
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return False
            upload.data = data
            return True


def _channel_id(channel: str) -> str:
    """Slack answers with the channel's id even when posted to by name."""
    if channel[:1] in "CDG" and channel.isalnum() and channel.isupper():
        return channel
    return "C" + "".join(ch for ch in channel.upper() if ch.isalnum())[:10].ljust(8, "0")


def _file_info(upload: _Upload) -> dict[str, Any]:
    return {
        "id": upload.file_id,
        "name": upload.filename,
        "title": upload.title,
        "size": len(upload.data or b""),
    }


class _Handler(BaseHTTPRequestHandler):
    slack: SlackStub
    server_version = "SlackStub/1"
    _call: SlackCall | None = None

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self._handle()

    def do_GET(self) -> None:  # noqa: N802
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _handle(self) -> None:
        try:
            self._dispatch()
        except Exception as exc:  # a stub that dies would turn one bad request into a hang
            self._send(500, json.dumps({"ok": False, "error": f"stub_error: {exc!r}"}))

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        params: dict[str, Any] = dict(parse_qsl(url.query))
        if not url.path.startswith("/upload/"):  # uploads are raw file bytes
            params.update(_parse_body(self.headers.get("Content-Type", ""), body))
        if url.path.startswith("/api/"):
            method = url.path.removeprefix("/api/")
        elif url.path.startswith("/upload/"):
            method = "upload"
        elif url.path.startswith("/services/"):
            method = "webhook"
        else:
            method = url.path
        call = SlackCall(method, url.path, dict(self.headers.items()), params, body)
        self._call = call
        failure = self.slack._record(call)
        if failure is not None and failure.delay_s:
            time.sleep(failure.delay_s)
            failure = None if failure.error is None and failure.status == 200 else failure
        if failure is not None and failure.status != 200:
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            self._send(
                failure.status,
                "" if failure.status == 429 else "upstream failure",
                "text/plain",
                headers,
            )
        elif method == "webhook" and failure is not None:
            self._send(404, failure.error or "error", "text/plain")  # webhooks answer in plain text
        elif method == "webhook":
            self._send(200, "ok", "text/plain")
        elif failure is not None:
            self._send(200, json.dumps({"ok": False, "error": failure.error}))
        elif method == "upload":
            ok = self.slack._receive_upload(url.path.removeprefix("/upload/"), body)
            self._send(200 if ok else 404, f"OK - {len(body)}" if ok else "not found", "text/plain")
        elif url.path.startswith("/api/"):
            answer = self.slack._api(method, params, self.headers.get("Authorization"))
            self._send(200, json.dumps(answer))
        else:
            self._send(404, "not found", "text/plain")

    def _send(
        self,
        status: int,
        text: str,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> None:
        payload = text.encode("utf-8")
        if self._call is not None:
            self._call.response = json.loads(text) if content_type.endswith("json") else text
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def _parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    if "json" in content_type:
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) else {"_json": parsed}
    if "x-www-form-urlencoded" in content_type:
        return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return {}


def _only_slow(failure: _Failure) -> bool:
    return bool(failure.delay_s) and failure.status == 200 and failure.error is None
