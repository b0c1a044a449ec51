"""The router against real model servers (the serving app under uvicorn on loopback ports); its
routing table written to a real state database, as the local endpoint's control plane does."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from stainless.backends.endpoints.local.counters import CounterStore
from stainless.backends.endpoints.local.router import RoutingTable, create_router_app
from stainless.backends.endpoints.local.state import EndpointState, Route, VariantRecord
from stainless.project.runtime import LoadedModel
from stainless.serving.app import create_app
from support.toy_model import INVALID, MODEL_FAILS, OK, RESPONSE_INVALID, SLOW, make_toy_model

NAME = "toy"


def test_weighted_choice_follows_the_weights_and_skips_zero() -> None:
    table = RoutingTable(
        routes=[
            Route("a", 3.0, "http://a"),
            Route("b", 1.0, "http://b"),
            Route("c", 0.0, "http://c"),
        ],
        _random=random.Random(7),
    )
    picks = [table.choose().name for _ in range(4000)]  # type: ignore[union-attr]
    assert picks.count("c") == 0
    assert 2800 <= picks.count("a") <= 3200  # 3/4 of 4000 = 3000, sd ~27
    assert RoutingTable(routes=[Route("a", 0.0, "http://a")]).choose() is None


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn in a thread on a free loopback port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", ws="none")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def variants(tmp_path: Path) -> Iterator[dict[str, str]]:
    """Two real model servers: v1 predicts x, v2 predicts 10 x."""
    apps = [
        create_app(
            LoadedModel.from_bundle(make_toy_model(tmp_path / f"m{i}", factor)), version=str(i)
        )
        for i, factor in ((1, 1.0), (2, 10.0))
    ]
    with serving(apps[0]) as v1, serving(apps[1]) as v2:
        yield {"v1": v1, "v2": v2}


def table(tmp_path: Path, weights: dict[str, tuple[float, int]]) -> EndpointState:
    state = EndpointState(tmp_path / "state.db", NAME)
    for name, (weight, port) in weights.items():
        state.put_variant(VariantRecord(name, 1, tmp_path, weight, port, None, None))
    return state


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@contextmanager
def router(state: EndpointState, **options: Any) -> Iterator[httpx.Client]:
    with (
        serving(create_router_app(state.path, **options)) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        yield client


@pytest.mark.integration
def test_weights_change_without_restart(tmp_path: Path, variants: dict[str, str]) -> None:
    state = table(
        tmp_path, {"v1": (1.0, port_of(variants["v1"])), "v2": (0.0, port_of(variants["v2"]))}
    )
    with router(state) as client:
        assert {client.post("/invocations", json=OK).json()["prediction"] for _ in range(10)} == {
            2.0
        }
        generation = state.set_weights({"v1": 0.0, "v2": 1.0})
        deadline = time.monotonic() + 1.0  # "within about a second"
        while client.get("/ping").json()["generation"] < generation:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        answer = client.post("/invocations", json=OK)
        assert answer.json() == {"prediction": 20.0}
        assert answer.headers["x-amzn-invoked-production-variant"] == "v2"
        assert answer.headers["x-stainless-model-version"] == "2"


@pytest.mark.integration
def test_answers_and_counts_each_kind_of_outcome(tmp_path: Path, variants: dict[str, str]) -> None:
    state = table(tmp_path, {"v1": (1.0, port_of(variants["v1"])), "gone": (0.0, closed_port())})
    with router(state, timeout_s=0.5) as client:
        plain = client.post("/invocations", json=INVALID)
        assert plain.status_code == 400
        assert plain.headers["x-stainless-error-origin"] == "client"
        assert plain.json()["error"]["origin"] == "client"  # the variant's body, untouched

        sagemaker = client.post(f"/endpoints/{NAME}/invocations", json=RESPONSE_INVALID)
        assert sagemaker.status_code == 424
        assert sagemaker.headers["x-amzn-errortype"] == "ModelError"
        assert sagemaker.headers["x-stainless-error-origin"] == "response"
        assert sagemaker.json()["OriginalStatusCode"] == 500
        assert (
            client.post("/invocations", json=MODEL_FAILS).headers["x-stainless-error-origin"]
            == "model"
        )

        slow = client.post("/invocations", json=SLOW)
        assert (slow.status_code, slow.headers["x-stainless-error-origin"]) == (504, "model")
        crashed = client.post(
            "/invocations", json=OK, headers={"X-Amzn-SageMaker-Target-Variant": "gone"}
        )
        assert (crashed.status_code, crashed.headers["x-stainless-error-origin"]) == (502, "model")
        assert client.get("/ping").status_code == 200  # none of that hurt the router

        unknown = client.post("/endpoints/other/invocations", json=OK)
        assert (unknown.status_code, unknown.headers["x-amzn-errortype"]) == (
            400,
            "ValidationError",
        )
        no_such = client.post(
            "/invocations", json=OK, headers={"X-Amzn-SageMaker-Target-Variant": "v9"}
        )
        assert no_such.status_code == 400
    # Leaving the router flushed what it had not written yet.
    counters = CounterStore(state.path).read()
    v1, gone = counters["v1"], counters["gone"]
    assert (v1.requests, v1.ok, v1.client_errors, v1.model_errors) == (4, 0, 1, 3)
    assert (gone.requests, gone.model_errors, gone.latency_p50_ms) == (1, 1, None)
    assert "v9" not in counters and "other" not in counters  # never reached a variant


@pytest.mark.integration
def test_no_routable_variant_is_503(tmp_path: Path) -> None:
    state = table(tmp_path, {"v1": (0.0, closed_port())})
    with router(state) as client:
        assert client.post("/invocations", json=OK).status_code == 503
        sagemaker = client.post(f"/endpoints/{NAME}/invocations", json=OK)
        assert (sagemaker.status_code, sagemaker.headers["x-amzn-errortype"]) == (
            503,
            "ServiceUnavailable",
        )
