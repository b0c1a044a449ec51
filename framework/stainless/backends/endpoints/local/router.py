"""The local endpoint's router: one HTTP entry point in front of a model server per variant.

It speaks the SageMaker runtime wire format (``POST /endpoints/{name}/invocations``, the
``X-Amzn-SageMaker-Target-Variant`` request header, the ``X-Amzn-Invoked-Production-Variant``
response header, ``ModelError`` 424 answers when the model fails), so boto3's ``sagemaker-runtime``
client works against it unchanged; plain ``POST /invocations`` passes the variant's answer through.

Routing table and weights come from the endpoint's state database; the router re-reads them when
their generation number changes (checked every ``refresh_s``), so a weight change needs no
restart. Per-variant counters are kept in memory and flushed every ``flush_s`` (a ``kill -9`` loses
at most that much). Nothing a request or a variant does can stop the router: a variant that
crashed or timed out is answered for, and counted against that variant as a model error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stainless.backends.endpoints.local.counters import (
    MODEL_ERROR,
    CounterBuffer,
    CounterStore,
    classify,
)
from stainless.backends.endpoints.local.state import EndpointState
from stainless.backends.endpoints.local.state import Route as VariantRoute
from stainless.backends.endpoints.local.upstream import UpstreamError, UpstreamPool, UpstreamTimeout

log = logging.getLogger("stainless.router")

ORIGIN_HEADER = "X-Stainless-Error-Origin"
TARGET_VARIANT = "X-Amzn-SageMaker-Target-Variant"
INVOKED_VARIANT = "X-Amzn-Invoked-Production-Variant"
# Request headers a model may care about; everything else (auth, SigV4) stays at the router.
_FORWARDED = (
    "content-type",
    "accept",
    "x-amzn-sagemaker-custom-attributes",
    "x-amzn-sagemaker-inference-id",
)
RETENTION_S = 14 * 86400
_PRUNE_EVERY_S = 600.0


@dataclass
class RoutingTable:
    generation: int = -1
    routes: list[VariantRoute] = field(default_factory=list)
    _random: random.Random = field(default_factory=random.Random)

    def by_name(self, name: str) -> VariantRoute | None:
        return next((route for route in self.routes if route.name == name), None)

    def choose(self) -> VariantRoute | None:
        """A variant drawn with probability weight / total weight (SageMaker's rule)."""
        live = [route for route in self.routes if route.weight > 0]
        if not live:
            return None
        return self._random.choices(live, weights=[route.weight for route in live])[0]


@dataclass
class Outcome:
    """A variant's answer, or why there was none (status 502 = unreachable, 504 = timed out)."""

    variant: str
    status: int
    body: bytes
    headers: dict[str, str]
    answered: bool


class Router:
    def __init__(
        self, state_db: Path, *, timeout_s: float, refresh_s: float, flush_s: float
    ) -> None:
        self.state = EndpointState(state_db)
        self.name = self.state.name()
        self.store = CounterStore(state_db)
        self.buffer = CounterBuffer()
        self.table = RoutingTable()
        self.timeout_s = timeout_s
        self.refresh_s = refresh_s
        self.flush_s = flush_s
        self.upstream = UpstreamPool(timeout_s)

    # -- background work ------------------------------------------------------------------------
    async def refresh(self) -> None:
        generation = await asyncio.to_thread(self.state.generation)
        if generation != self.table.generation:
            generation, routes = await asyncio.to_thread(self.state.routes)
            self.table.generation, self.table.routes = generation, routes
            log.info(
                "routing generation %d: %s",
                generation,
                ", ".join(f"{r.name}={r.weight:g}" for r in routes) or "no variants",
            )

    async def flush(self) -> None:
        batch = self.buffer.drain()
        try:
            await asyncio.to_thread(self.store.add, batch)
        except Exception:  # a locked or full disk must not lose the counts: retry next time
            log.exception("could not write %d counter buckets; will retry", len(batch))
            self.buffer.restore(batch)

    async def keep_fresh(self) -> None:
        last_prune = 0.0
        while True:
            await asyncio.sleep(self.refresh_s)
            with contextlib.suppress(Exception):
                await self.refresh()
            if time.monotonic() - last_prune > _PRUNE_EVERY_S:
                last_prune = time.monotonic()
                with contextlib.suppress(Exception):
                    await asyncio.to_thread(self.store.prune, time.time() - RETENTION_S)

    async def keep_flushing(self) -> None:
        while True:
            await asyncio.sleep(self.flush_s)
            await self.flush()

    # -- one request ----------------------------------------------------------------------------
    async def forward(self, route: VariantRoute, request: Request, body: bytes) -> Outcome:
        headers = {k: v for k, v in request.headers.items() if k in _FORWARDED}
        headers["x-stainless-variant"] = route.name  # the server records it with captured data
        where = urlsplit(route.url)
        started = time.perf_counter()
        latency_ms: float | None = None
        try:
            answer = await self.upstream.post(
                where.hostname or "127.0.0.1", where.port or 80, "/invocations", body, headers
            )
            latency_ms = (time.perf_counter() - started) * 1000
            outcome = Outcome(route.name, answer.status, answer.body, answer.headers, True)
        except UpstreamTimeout:
            outcome = _failure(
                route.name, 504, f"variant {route.name!r} did not answer within {self.timeout_s:g}s"
            )
        except UpstreamError as exc:  # refused / reset: the variant's process is gone
            outcome = _failure(route.name, 502, f"variant {route.name!r} is unavailable ({exc})")
        origin = outcome.headers.get(ORIGIN_HEADER.lower()) if outcome.answered else None
        kind = classify(outcome.status, origin) if outcome.answered else MODEL_ERROR
        # Latency only of answers: a refused connection is instant and would flatter a crash.
        self.buffer.record(route.name, kind, latency_ms)
        return outcome


def _failure(variant: str, status: int, message: str) -> Outcome:
    body = json.dumps({"error": message, "variant": variant}).encode()
    return Outcome(
        variant,
        status,
        body,
        {"content-type": "application/json", ORIGIN_HEADER.lower(): "model"},
        answered=False,
    )


def _passthrough(outcome: Outcome) -> Response:
    headers = {INVOKED_VARIANT: outcome.variant}
    for key, value in outcome.headers.items():
        if key.lower().startswith("x-stainless-"):
            headers[key] = value
    return Response(
        outcome.body,
        status_code=outcome.status,
        headers=headers,
        media_type=outcome.headers.get("content-type"),
    )


def _sagemaker_error(
    code: str, status: int, message: str, origin: str | None = None, **extra: Any
) -> Response:
    headers = {"x-amzn-ErrorType": code}
    if origin:
        headers[ORIGIN_HEADER] = origin
    return JSONResponse({"message": message, **extra}, status_code=status, headers=headers)


def _as_model_error(outcome: Outcome) -> Response:
    """SageMaker's answer when the container answers non-2xx: 424 ModelError with the original."""
    side = "client" if outcome.status < 500 else "server"
    original = outcome.body.decode("utf-8", errors="replace")[:2000]
    response = _sagemaker_error(
        "ModelError",
        424,
        f"Received {side} error ({outcome.status}) from variant {outcome.variant} with message "
        f'"{original}".',
        ErrorCode=f"{side.upper()}_ERROR_FROM_MODEL",
        OriginalStatusCode=outcome.status,
        OriginalMessage=original,
    )
    for key, value in outcome.headers.items():
        if key.lower().startswith("x-stainless-"):
            response.headers[key] = value
    response.headers[INVOKED_VARIANT] = outcome.variant
    return response


def create_router_app(
    state_db: Path, *, timeout_s: float = 60.0, refresh_s: float = 0.25, flush_s: float = 0.5
) -> Starlette:
    router = Router(state_db, timeout_s=timeout_s, refresh_s=refresh_s, flush_s=flush_s)

    def pick(request: Request) -> VariantRoute | str:
        target = request.headers.get(TARGET_VARIANT)
        if target:
            return router.table.by_name(target) or (
                f"variant {target!r} is not part of endpoint {router.name!r}; it has: "
                + (", ".join(r.name for r in router.table.routes) or "no variants")
            )
        return router.table.choose() or f"endpoint {router.name!r} has no variant with weight > 0"

    async def invocations(request: Request) -> Response:
        body = await request.body()
        route = pick(request)
        if isinstance(route, str):
            status = 400 if request.headers.get(TARGET_VARIANT) else 503
            return JSONResponse(
                {"error": route},
                status_code=status,
                headers={ORIGIN_HEADER: "client"} if status == 400 else None,
            )
        return _passthrough(await router.forward(route, request, body))

    async def sagemaker_invocations(request: Request) -> Response:
        name = request.path_params["name"]
        if name != router.name:
            return _sagemaker_error(
                "ValidationError",
                400,
                f"Endpoint {name} not found (this is {router.name}).",
                origin="client",
            )
        body = await request.body()
        route = pick(request)
        if isinstance(route, str):
            if request.headers.get(TARGET_VARIANT):
                return _sagemaker_error("ValidationError", 400, route, origin="client")
            return _sagemaker_error("ServiceUnavailable", 503, route)
        outcome = await router.forward(route, request, body)
        if outcome.status >= 400:
            return _as_model_error(outcome)
        return _passthrough(outcome)

    async def ping(request: Request) -> Response:
        return JSONResponse(
            {
                "status": "ok",
                "endpoint": router.name,
                "generation": router.table.generation,
                "variants": {route.name: route.weight for route in router.table.routes},
            }
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await router.refresh()
        tasks = [
            asyncio.create_task(router.keep_fresh()),
            asyncio.create_task(router.keep_flushing()),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await router.flush()
            await router.upstream.aclose()

    app = Starlette(
        routes=[
            Route("/ping", ping, methods=["GET"]),
            Route("/invocations", invocations, methods=["POST"]),
            Route("/endpoints/{name}/invocations", sagemaker_invocations, methods=["POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.router = router
    return app


def run_router(state_db: Path, host: str, port: int) -> None:
    """Serve the router until SIGTERM (the endpoint's ``down``); flushes counters on the way out."""
    import uvicorn

    uvicorn.run(
        create_router_app(state_db),
        host=host,
        port=port,
        log_level="info",
        access_log=False,
        timeout_graceful_shutdown=10,
    )


def main(argv: list[str] | None = None) -> None:
    """``python -m stainless.backends.endpoints.local.router``: what the endpoint starts."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m stainless.backends.endpoints.local.router")
    parser.add_argument("--state", type=Path, required=True, help="the endpoint's state database")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    run_router(args.state, args.host, args.port)


if __name__ == "__main__":
    main()
