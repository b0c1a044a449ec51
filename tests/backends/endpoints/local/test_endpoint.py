"""The local endpoint end to end: real router and `stainless serve` processes on free loopback
ports, invoked through boto3's real sagemaker-runtime client."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from stainless.backends.endpoints import VariantCounters, VariantSpec, open_endpoint
from stainless.backends.endpoints.local.endpoint import LocalEndpoint
from stainless.backends.endpoints.local.processes import is_alive
from stainless.core.errors import BackendError
from stainless.pipeline.replay import drive
from support.toy_model import INVALID, MODEL_FAILS, OK, RESPONSE_INVALID, make_toy_model

pytestmark = pytest.mark.integration
NAME = "toy"


@pytest.fixture
def models(tmp_path: Path) -> dict[str, Path]:
    return {
        "v1": make_toy_model(tmp_path / "m1", factor=1.0),
        "v2": make_toy_model(tmp_path / "m2", factor=10.0),
    }


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[LocalEndpoint]:
    opened = open_endpoint("local://", tmp_path, NAME)
    assert isinstance(opened, LocalEndpoint)
    opened.ready_timeout_s = 30.0
    try:
        yield opened
    finally:
        opened.down()


def runtime(url: str) -> Any:
    return boto3.client(
        "sagemaker-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


def invoke(client: Any, body: dict[str, Any], variant: str | None = None) -> dict[str, Any]:
    """invoke_endpoint; a ModelError becomes {"status": original status, "origin": ...}."""
    extra = {"TargetVariant": variant} if variant else {}
    try:
        answer = client.invoke_endpoint(
            EndpointName=NAME, Body=json.dumps(body), ContentType="application/json", **extra
        )
    except client.exceptions.ModelError as exc:
        headers = exc.response["ResponseMetadata"]["HTTPHeaders"]
        return {
            "status": exc.response["OriginalStatusCode"],
            "origin": headers.get("x-stainless-error-origin"),
            "variant": headers.get("x-amzn-invoked-production-variant"),
        }
    return {
        "status": 200,
        "variant": answer["InvokedProductionVariant"],
        "body": json.loads(answer["Body"].read()),
    }


def wait_for_counters(
    endpoint: LocalEndpoint, since: float | None, variant: str, requests: int
) -> VariantCounters:
    """The router flushes every 0.5 s; poll until the expected number of requests is there."""
    deadline = time.monotonic() + 5
    while True:
        counters = endpoint.counters(since)[variant]
        if counters.requests >= requests or time.monotonic() > deadline:
            return counters
        time.sleep(0.1)


def next_second() -> float:
    """Counters are per second: start a measurement on a fresh second."""
    time.sleep(1.0 - time.time() % 1.0 + 0.01)
    return time.time()


def test_variants_weights_counters_and_crash(
    endpoint: LocalEndpoint, models: dict[str, Path]
) -> None:
    status = endpoint.up(VariantSpec("v1", 1, models["v1"], 1.0))
    assert status.running and [(v.name, v.healthy) for v in status.variants] == [("v1", True)]
    client = runtime(endpoint.url)
    assert invoke(client, OK) == {"status": 200, "variant": "v1", "body": {"prediction": 2.0}}
    pids = {v.name: v.pid for v in endpoint.state.variants()}
    assert endpoint.up().running  # idempotent: nothing restarted
    assert {v.name: v.pid for v in endpoint.state.variants()} == pids

    # A new variant at weight 0 is healthy but gets no traffic until its weight changes.
    endpoint.add_variant(VariantSpec("v2", 2, models["v2"], 0.0))
    assert {v.name: v.healthy for v in endpoint.status().variants} == {"v1": True, "v2": True}
    assert {invoke(client, OK)["variant"] for _ in range(20)} == {"v1"}

    endpoint.set_weights({"v1": 0.5, "v2": 0.5})
    summary = drive(endpoint.url, [OK], rate=400, duration=5, max_requests=400, endpoint_name=NAME)
    share = {name: stats.requests for name, stats in summary.variants.items()}
    assert set(share) == {"v1", "v2"} and sum(share.values()) == 400
    assert 140 <= share["v2"] <= 260, share  # binomial(400, 0.5): 7 standard deviations
    for _ in range(20):  # each variant answers with its own model
        answer = invoke(client, OK)
        assert answer["body"] == {"prediction": 2.0 if answer["variant"] == "v1" else 20.0}

    # The target-variant header routes exactly, whatever the weights.
    assert {invoke(client, OK, "v2")["variant"] for _ in range(15)} == {"v2"}
    with pytest.raises(client.exceptions.ValidationError):
        invoke(client, OK, "v9")

    # Counters tell the caller's mistakes (4xx) from the model's (5xx).
    since = next_second()
    cases = [
        (OK, 5, (200, None)),
        (INVALID, 3, (400, "client")),
        (MODEL_FAILS, 2, (500, "model")),
        (RESPONSE_INVALID, 1, (500, "response")),
    ]
    for body, times, expected in cases:
        for _ in range(times):
            answer = invoke(client, body, "v2")
            assert (answer["status"], answer.get("origin")) == expected
    counted = wait_for_counters(endpoint, since, "v2", 11)
    assert (counted.requests, counted.ok, counted.client_errors, counted.model_errors) == (
        11,
        5,
        3,
        3,
    )
    assert counted.latency_p50_ms is not None and counted.latency_p95_ms is not None
    assert endpoint.counters(since)["v1"].requests == 0

    # A crashed variant is answered for, and counted against that variant as a model error.
    os.kill(endpoint.state.variant("v2").pid, signal.SIGKILL)
    since = next_second()
    assert invoke(client, OK, "v2") == {"status": 502, "origin": "model", "variant": "v2"}
    assert invoke(client, OK, "v1")["status"] == 200  # the router and the others carry on
    assert {v.name: v.healthy for v in endpoint.status().variants} == {"v1": True, "v2": False}
    assert wait_for_counters(endpoint, since, "v2", 1).model_errors == 1
    endpoint.up()  # repairs what died
    assert invoke(client, OK, "v2")["body"] == {"prediction": 20.0}

    v2_pid = endpoint.state.variant("v2").pid
    endpoint.remove_variant("v2")
    assert [v.name for v in endpoint.status().variants] == ["v1"]
    assert not is_alive(v2_pid, None)
    with pytest.raises(client.exceptions.ValidationError):
        invoke(client, OK, "v2")
    with pytest.raises(BackendError, match="only variant"):
        endpoint.remove_variant("v1")

    router_pid = endpoint.state.router().pid
    endpoint.down()
    status = endpoint.status()
    assert not status.running and status.variants == []
    assert not is_alive(router_pid, None)


def test_router_killed_then_up_keeps_counters_and_url(
    endpoint: LocalEndpoint, models: dict[str, Path]
) -> None:
    endpoint.up(VariantSpec("v1", 1, models["v1"], 1.0))
    url = endpoint.url
    for _ in range(10):
        assert httpx.post(f"{url}/invocations", json=OK).status_code == 200
    assert wait_for_counters(endpoint, None, "v1", 10).requests == 10

    os.kill(endpoint.state.router().pid, signal.SIGKILL)
    assert not endpoint.status().running
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"{url}/invocations", json=OK)

    assert endpoint.up().running
    assert endpoint.url == url  # the same port when it is still free
    plain = httpx.post(f"{url}/invocations", json=INVALID)
    assert plain.status_code == 400 and plain.headers["x-stainless-error-origin"] == "client"
    assert plain.headers["x-amzn-invoked-production-variant"] == "v1"
    counted = wait_for_counters(endpoint, None, "v1", 11)
    assert (counted.requests, counted.ok, counted.client_errors) == (11, 10, 1)


def test_control_errors_name_the_fix(
    endpoint: LocalEndpoint, models: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(BackendError, match="no variant to serve"):
        endpoint.up()
    with pytest.raises(BackendError, match="does not exist"):
        endpoint.up(VariantSpec("v1", 1, tmp_path / "missing", 1.0))
    with pytest.raises(BackendError, match="invalid variant name"):
        endpoint.up(VariantSpec("v_1", 1, models["v1"], 1.0))
    with pytest.raises(BackendError, match="not running"):
        endpoint.add_variant(VariantSpec("v2", 2, models["v2"], 0.0))
    broken = make_toy_model(tmp_path / "broken", factor=1.0)
    (broken / ".stainless" / "model.py").write_text("def load_model(artifact_dir):\n    1 / 0\n")
    with pytest.raises(BackendError, match="did not start") as raised:
        endpoint.up(VariantSpec("v1", 1, broken, 1.0))
    assert "ZeroDivisionError" in str(raised.value)  # the fix quotes the server's log
    endpoint.up(VariantSpec("v1", 1, models["v1"], 1.0))
    with pytest.raises(BackendError, match="already serves version 1"):
        endpoint.add_variant(VariantSpec("v1", 3, models["v2"], 0.0))
    with pytest.raises(BackendError, match="no variant 'v7'"):
        endpoint.set_weights({"v7": 1.0})
    with pytest.raises(BackendError, match="above 0"):
        endpoint.set_weights({"v1": 0.0})
    with pytest.raises(BackendError, match="invalid weight"):
        endpoint.set_weights({"v1": float("nan")})
