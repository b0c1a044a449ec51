"""The ASGI app: ``GET /ping``, ``POST /invocations``, ``GET /metrics``.

Written directly against ASGI rather than through a framework's router and Request objects:
the whole per-request path is a dict lookup, one ``orjson.loads``, the model's compiled
validators and one ``orjson.dumps``, which keeps the framework's overhead to a few
microseconds. Every failure below the handler becomes an answer; nothing a client sends can
stop the server.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

from stainless.backends.storage import ArtifactStore
from stainless.project.runtime import (
    LoadedModel,
    PredictionError,
    RequestInvalid,
    ResponseInvalid,
)
from stainless.serving import metrics as metrics_module
from stainless.serving.batching import AdaptiveBatcher
from stainless.serving.capture import DataCapture
from stainless.serving.errors import (
    CLIENT,
    MODEL,
    ORIGIN_HEADER,
    RESPONSE,
    VERSION_HEADER,
    ServingError,
    bounded,
    client_error,
    new_error_id,
)
from stainless.serving.metrics import ServingMetrics
from stainless.serving.requests import (
    JSON,
    REQUEST_ID_HEADER,
    read_body,
    request_format,
    request_id_and_variant,
)
from stainless.serving.settings import ServingSettings

log = logging.getLogger("stainless.serving")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
JSON_TYPE = b"application/json"
LINES_TYPE = b"application/jsonlines"


class ClientDisconnected(Exception):
    """The caller went away before sending its whole body; there is nobody to answer."""


class ServingApp:
    def __init__(
        self,
        model: LoadedModel,
        settings: ServingSettings,
        name: str,
        version: str | None,
        capture_store: ArtifactStore | None,
    ) -> None:
        self.model = model
        self.settings = settings
        self.name = name
        self.version = version
        self.metrics = ServingMetrics(name, version)
        self.capture: DataCapture | None = None
        if capture_store is not None and settings.capture_sample_rate > 0:
            count = self.metrics.capture.labels
            self.capture = DataCapture.for_server(
                capture_store, settings, name, version, lambda o, n: count(o).inc(n)
            )
        self._validator = model.schemas.request_validator
        self._arrays_are_batches = _arrays_are_batches(model.schemas.request, self._validator)
        extra = [(VERSION_HEADER, version.encode())] if version else []
        self._json_headers = [(b"content-type", JSON_TYPE), *extra]
        self._lines_headers = [(b"content-type", LINES_TYPE), *extra]
        self._extra_headers = extra
        # A model with a batch function runs on its own thread, fed by the adaptive batcher;
        # a one-request-at-a-time model keeps running inline (cheapest for fast models).
        self._executor: ThreadPoolExecutor | None = None
        self.batcher: AdaptiveBatcher | None = None
        if model.batches:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="stainless-model")
            self.batcher = AdaptiveBatcher(
                model.predict_valid,
                settings.max_batch_size,
                settings.max_batch_wait_ms / 1000,
                self._executor,
                observe=self.metrics.batch_size.observe,
            )
        self.healthy, self.unhealthy_reason = self._self_test()

    def _self_test(self) -> tuple[bool, str | None]:
        try:
            self.model.self_test()
        except Exception as exc:  # any failure means: do not route traffic here
            details = "; ".join(f"{v.path}: {v.message}" for v in getattr(exc, "violations", []))
            reason = bounded(
                f"self-test failed on a request example of the schema: "
                f"{type(exc).__name__}: {exc}" + (f" ({details})" if details else "")
            )
            log.error("%s; /ping answers 503", reason)
            return False, reason
        return True, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path == "/invocations":
                await self._invocations(scope, receive, send)
            elif path == "/ping":
                await self._ping(scope, send)
            elif path == "/metrics":
                await self._metrics(scope, send)
            else:
                await self._send_error(send, client_error(404, f"no such path {bounded(path, 80)}"))
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await receive()
            await send({"type": "websocket.close", "code": 1003})

    # -- /invocations ------------------------------------------------------------------------

    async def _invocations(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        request_id, variant = request_id_and_variant(scope["headers"])
        try:
            if scope["method"] != "POST":
                raise client_error(405, "use POST for /invocations")
            kind, declared_length = request_format(scope["headers"])
            body = await read_body(receive, declared_length, self.settings.max_body_bytes)
            if body is None:
                raise ClientDisconnected
            if kind == JSON:
                document = _parse_json(body)
                if self._arrays_are_batches and type(document) is list:
                    response: Any = await self._predict_batch(
                        document, [{"index": i} for i in range(len(document))]
                    )
                elif self.batcher is None:
                    response = self._predict_one(document, None)
                else:
                    response = await self._coalesced(document)
                out = _dump(response, self.model.source)
                headers = self._json_headers
            else:
                document, places = _parse_lines(body)
                response = await self._predict_batch(document, places)
                out = b"".join(_dump(item, self.model.source) + b"\n" for item in response)
                headers = self._lines_headers
        except ServingError as exc:
            await self._send_error(send, exc)
            self.metrics.latency.observe(time.perf_counter() - started)
            return
        except ClientDisconnected:
            log.debug("client disconnected before sending its body")
            return
        except Exception:  # a bug of ours must still be an answer, never a dead server
            error_id = new_error_id()
            log.exception("internal error %s while serving /invocations", error_id)
            await self._send_error(
                send, ServingError(500, MODEL, "internal server error", error_id=error_id)
            )
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    *headers,
                    (REQUEST_ID_HEADER, request_id.encode()),
                    (b"content-length", str(len(out)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": out})
        self.metrics.ok.inc()
        self.metrics.latency.observe(time.perf_counter() - started)
        if self.capture is not None:
            self.capture.offer(document, response, kind, request_id, variant)

    def _predict_one(self, request: Any, where: dict[str, Any] | None) -> Any:
        try:
            return self.model.predict(request)
        except PredictionError as exc:
            raise self._answer_for(exc, where) from None
        except Exception as exc:  # the validator could not read the response (e.g. numpy types)
            raise ServingError(
                500,
                RESPONSE,
                f"the response of {self.model.source} is not JSON data: "
                f"{type(exc).__name__}: {exc}",
                where=where or {},
            ) from None

    def _answer_for(self, exc: PredictionError, where: dict[str, Any] | None) -> ServingError:
        """The answer to a request that got ``exc`` instead of a response."""
        if isinstance(exc, RequestInvalid):
            self.metrics.request_invalid.inc()
            return ServingError(400, CLIENT, exc.message, exc.violations, where=where or {})
        if isinstance(exc, ResponseInvalid):
            return ServingError(
                500, RESPONSE, exc.message, exc.violations, exc.error_id, where or {}
            )
        cause = exc.__cause__
        log.error("error %s: the model raised %s", exc.error_id, exc.message, exc_info=cause)
        name = type(cause).__name__ if cause is not None else "an exception"
        return ServingError(
            500,
            MODEL,
            f"the model raised {name}; the server log has the details under "
            f"error id {exc.error_id}",
            error_id=exc.error_id,
            where=where or {},
        )

    async def _coalesced(self, request: Any) -> Any:
        """One request through the adaptive batcher: validated here, on arrival, so an invalid
        one is answered at once and never takes a place in a batch."""
        assert self.batcher is not None
        if not self._validator.is_valid(request):
            self.metrics.request_invalid.inc()
            raise ServingError(
                400,
                CLIENT,
                "request does not match the request schema",
                self._validator.violations(request),
            )
        outcome = await self.batcher.submit(request)
        if isinstance(outcome, PredictionError):
            raise self._answer_for(outcome, None)
        return outcome

    async def _predict_batch(self, items: list[Any], places: list[dict[str, Any]]) -> list[Any]:
        limit = self.settings.max_batch_items
        if len(items) > limit:
            raise client_error(
                413,
                f"a batch of {len(items)} requests exceeds the limit of {limit} "
                "(serving.max_batch_items in model.yaml)",
            )
        # All or nothing: one invalid item rejects the batch before the model sees any of it,
        # so a caller never has to work out which half of a batch was served.
        for item, where in zip(items, places, strict=True):
            if not self._validator.is_valid(item):
                self.metrics.request_invalid.inc()
                raise ServingError(
                    400,
                    CLIENT,
                    "a request of the batch does not match the request schema",
                    self._validator.violations(item),
                    where=where,
                )
        if self.batcher is None:
            return [
                self._predict_one(item, where) for item, where in zip(items, places, strict=True)
            ]
        outcomes = await self.batcher.run(items)
        for outcome, where in zip(outcomes, places, strict=True):
            if isinstance(outcome, PredictionError):
                raise self._answer_for(outcome, where)
        return outcomes

    # -- other routes ------------------------------------------------------------------------

    async def _ping(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await self._send_error(send, client_error(405, "use GET for /ping"))
        elif self.healthy:
            body = orjson.dumps({"status": "healthy", "model": self.name, "version": self.version})
            await _send(send, 200, [*self._json_headers], body)
        else:
            await self._send_error(
                send, ServingError(503, MODEL, self.unhealthy_reason or "unhealthy")
            )

    async def _metrics(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await self._send_error(send, client_error(405, "use GET for /metrics"))
            return
        body = self.metrics.render()
        await _send(send, 200, [(b"content-type", metrics_module.CONTENT_TYPE.encode())], body)

    async def _send_error(self, send: Send, error: ServingError) -> None:
        headers = [
            (b"content-type", JSON_TYPE),
            (ORIGIN_HEADER, error.origin.encode()),
            *self._extra_headers,
        ]
        if error.origin == RESPONSE:
            # Our contract with callers broke: count it apart from model crashes, and log the
            # full reasons next to the error id the caller was given.
            self.metrics.response_invalid.inc()
            log.error(
                "error %s: %s: %s",
                error.error_id,
                error.message,
                "; ".join(f"{v.path}: {v.message}" for v in error.violations),
            )
        if error.status == 405:
            headers.append((b"allow", b"GET, HEAD" if "GET" in error.message else b"POST"))
        self.metrics.error(error.status, error.origin)
        await _send(send, error.status, headers, error.body())

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.capture is not None:
                    self.capture.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(self.close)
                await send({"type": "lifespan.shutdown.complete"})
                return

    def close(self) -> None:
        """Flush captured records (graceful shutdown)."""
        if self.capture is not None:
            self.capture.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False)


def create_app(
    model: LoadedModel,
    settings: ServingSettings | None = None,
    *,
    name: str = "model",
    version: str | None = None,
    capture_store: ArtifactStore | None = None,
) -> ServingApp:
    """The server for one model, as an ASGI app (run it with uvicorn, or call it in-process).

    The model's schema examples are predicted once here; ``/ping`` is 200 only if that worked.
    """
    return ServingApp(model, settings or ServingSettings(), name, version, capture_store)


def _arrays_are_batches(schema: dict[str, Any], validator: Any) -> bool:
    """A JSON array is a batch of requests, unless a request may itself be an array."""
    types = schema.get("type")
    if types == "array" or (isinstance(types, list) and "array" in types):
        return False
    return not validator.is_valid([])


def _parse_json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise client_error(400, f"the body is not valid JSON (RFC 8259): {exc}") from None


def _parse_lines(body: bytes) -> tuple[list[Any], list[dict[str, Any]]]:
    items: list[Any] = []
    places: list[dict[str, Any]] = []
    for number, line in enumerate(body.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            items.append(orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            raise client_error(
                400, f"line {number} is not valid JSON: {exc}", line=number
            ) from None
        places.append({"line": number})
    return items, places


def _dump(response: Any, source: str) -> bytes:
    try:
        return orjson.dumps(response)
    except (orjson.JSONEncodeError, TypeError) as exc:
        raise ServingError(
            500, RESPONSE, f"the response of {source} cannot be written as JSON: {exc}"
        ) from None


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
