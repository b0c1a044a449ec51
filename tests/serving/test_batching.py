"""Adaptive batching: concurrent requests to a model with a batch function share its calls,
each is validated and answered on its own, and the batch runs off the event loop."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import httpx
import orjson
import pytest
from stainless.serving import ServingSettings, create_app
from stainless.serving.errors import ORIGIN_HEADER

from tests.serving.conftest import BATCH_MODEL_PY

ORIGIN = ORIGIN_HEADER.decode()
JSON = {"content-type": "application/json"}


@pytest.fixture
def batch_model(make_model: Any) -> Any:
    return make_model(code=BATCH_MODEL_PY)


def concurrently(app: Any, *calls: tuple[str, Any]) -> list[httpx.Response]:
    """Several requests in flight at once on one event loop, as uvicorn would run them."""

    async def go() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:

            async def one(path: str, document: Any) -> httpx.Response:
                if path == "/ping":
                    return await client.get(path)
                return await client.post(path, content=orjson.dumps(document), headers=JSON)

            return list(await asyncio.gather(*(one(path, doc) for path, doc in calls)))

    return asyncio.run(go())


def metric(app: Any, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", app.metrics.render().decode(), re.MULTILINE)
    assert found, name
    return float(found.group(1))


def test_concurrent_requests_share_batches_up_to_max_batch_size(batch_model: Any) -> None:
    app = create_app(batch_model, ServingSettings(max_batch_size=4, max_batch_wait_ms=50))
    xs = [1, 2, 3, 4, 5, 6, 8, 10, 11, 12]
    answers = concurrently(app, *(("/invocations", {"x": x}) for x in xs))
    assert [a.status_code for a in answers] == [200] * len(xs)
    assert [a.json()["prediction"] for a in answers] == [2.0 * x for x in xs]
    sizes = [a.json()["batch"] for a in answers]
    assert max(sizes) == 4 and all(size <= 4 for size in sizes)
    assert metric(app, "stainless_batch_size_sum") == len(xs)
    assert metric(app, "stainless_batch_size_count") < len(xs)


def test_a_bad_request_fails_alone_with_its_own_status(batch_model: Any) -> None:
    app = create_app(batch_model, ServingSettings(max_batch_size=8, max_batch_wait_ms=50))
    good, invalid, crash, broken, other = concurrently(
        app,
        ("/invocations", {"x": 1}),
        ("/invocations", {"x": "b"}),
        ("/invocations", {"x": 13}),
        ("/invocations", {"x": 7}),
        ("/invocations", {"x": 2}),
    )
    # The crash failed the batch {1, 13, 7, 2}: each of its requests was retried alone.
    assert good.status_code == 200 and good.json() == {"prediction": 2.0, "batch": 1}
    assert other.status_code == 200 and other.json()["prediction"] == 4.0
    assert invalid.status_code == 400 and invalid.headers[ORIGIN] == "client"
    assert invalid.json()["error"]["violations"][0]["path"] == "/x"
    assert crash.status_code == 500 and crash.headers[ORIGIN] == "model"
    assert "RuntimeError" in crash.json()["error"]["message"]
    assert broken.status_code == 500 and broken.headers[ORIGIN] == "response"
    assert metric(app, 'stainless_validation_failures_total{kind="request"}') == 1


def test_a_lone_request_never_waits_but_under_load_requests_wait_for_company(
    batch_model: Any,
) -> None:
    app = create_app(batch_model, ServingSettings(max_batch_size=8, max_batch_wait_ms=400))

    async def go() -> tuple[list[float], list[int]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:

            async def one(x: int, after: float = 0) -> tuple[float, int]:
                await asyncio.sleep(after)
                started = time.perf_counter()
                answer = await client.post("/invocations", content=b'{"x": %d}' % x, headers=JSON)
                return time.perf_counter() - started, answer.json()["batch"]

            # Light traffic: one request at a time, each goes at once (no 400 ms wait).
            alone = [await one(x) for x in (1, 2, 3)]
            # Heavy traffic: a batch of several ran, so a request that then finds the model
            # idle waits for company, and one arriving 50 ms later joins its batch.
            await asyncio.gather(*(one(x) for x in (1, 2, 3, 4)))
            first, second = await asyncio.gather(one(5), one(6, after=0.05))
            return [seconds for seconds, _ in alone], [first[1], second[1]]

    lone_seconds, sizes = asyncio.run(go())
    assert max(lone_seconds) < 0.3, lone_seconds
    assert sizes == [2, 2]


def test_under_load_the_next_batch_goes_as_soon_as_the_answered_callers_are_back(
    batch_model: Any,
) -> None:
    # Closed loop: 4 clients each send their next request as soon as they get an answer. With
    # a 2 s max_batch_wait_ms, a batcher that waited for company would take 2 s per round;
    # this one sends each round once the 4 are back.
    app = create_app(batch_model, ServingSettings(max_batch_size=64, max_batch_wait_ms=2000))

    async def go() -> tuple[float, list[list[int]]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:

            async def caller(x: int) -> list[int]:
                sizes = []
                for _ in range(6):
                    answer = await client.post(
                        "/invocations", content=b'{"x": %d}' % x, headers=JSON
                    )
                    sizes.append(answer.json()["batch"])
                return sizes

            started = time.perf_counter()
            sizes = await asyncio.gather(*(caller(x) for x in (1, 2, 3, 4)))
            return time.perf_counter() - started, list(sizes)

    seconds, sizes = asyncio.run(go())
    assert seconds < 1.5, (seconds, sizes)
    assert all(rounds[-3:] == [4, 4, 4] for rounds in sizes), sizes


def test_when_fewer_callers_come_back_their_batch_goes_after_max_batch_wait_ms(
    batch_model: Any,
) -> None:
    app = create_app(batch_model, ServingSettings(max_batch_size=64, max_batch_wait_ms=300))

    async def go() -> tuple[float, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:

            async def one(x: int) -> httpx.Response:
                return await client.post("/invocations", content=b'{"x": %d}' % x, headers=JSON)

            await asyncio.gather(*(one(x) for x in (1, 2, 3, 4)))  # batches of 1, then 3
            started = time.perf_counter()
            answer = await one(5)  # 3 were answered; only this one comes back
            return time.perf_counter() - started, answer.json()["batch"]

    seconds, size = asyncio.run(go())
    assert size == 1
    assert 0.25 <= seconds < 1.0, seconds


def test_ping_answers_while_a_slow_batch_runs(batch_model: Any) -> None:
    app = create_app(batch_model, ServingSettings(max_batch_wait_ms=0))

    async def go() -> tuple[float, float, int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://model") as client:
            started = time.perf_counter()
            slow = asyncio.ensure_future(
                client.post("/invocations", content=b'{"x": 99}', headers=JSON)
            )
            await asyncio.sleep(0.1)  # the batch is running on the model's thread now
            ping = await client.get("/ping")
            pinged = time.perf_counter() - started
            answer = await slow
            return pinged, time.perf_counter() - started, ping.status_code + answer.status_code

    pinged, slow, statuses = asyncio.run(go())
    assert statuses == 400  # 200 + 200
    assert slow >= 1.0 and pinged < 0.6


def test_a_json_array_is_one_call_of_the_batch_function(batch_model: Any, client_for: Any) -> None:
    client = client_for(create_app(batch_model))
    answer = client.post("/invocations", content=b'[{"x": 1}, {"x": 2}, {"x": 3}]', headers=JSON)
    assert answer.status_code == 200
    assert answer.json() == [{"prediction": 2.0 * x, "batch": 3} for x in (1, 2, 3)]
    failed = client.post("/invocations", content=b'[{"x": 1}, {"x": 13}]', headers=JSON)
    assert failed.status_code == 500 and failed.json()["error"]["index"] == 1


def test_max_batch_size_one_predicts_each_request_alone(batch_model: Any) -> None:
    app = create_app(batch_model, ServingSettings(max_batch_size=1, max_batch_wait_ms=50))
    answers = concurrently(app, *(("/invocations", {"x": x}) for x in (1, 2, 3)))
    assert [a.json()["batch"] for a in answers] == [1, 1, 1]


def test_a_batch_function_answering_the_wrong_count_fails_the_self_test(
    make_model: Any, client_for: Any
) -> None:
    code = "from stainless import batch\n\ndef load_model(d):\n    return batch(lambda rs: [])\n"
    client = client_for(create_app(make_model(code=code)))
    ping = client.get("/ping")
    assert ping.status_code == 503
    assert "returned 0 responses for 1 requests" in ping.json()["error"]["message"]
