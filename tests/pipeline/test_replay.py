"""Replaying requests at a fixed rate against a real HTTP server on 127.0.0.1, tallied per variant
as the endpoint counts them; shifted requests for monitoring; a run's rows as requests."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from stainless.core.errors import StageError, StainlessError
from stainless.pipeline.replay import (
    INVOKED_VARIANT,
    NO_VARIANT,
    Shift,
    drive,
    invalidate,
    replay_run,
    shift_requests,
)
from stainless.project.config import load_config
from stainless.workspace import Workspace


class Endpoint(BaseHTTPRequestHandler):
    """Like a SageMaker endpoint: valid requests answered by variant v1 or v2 (by the target
    header), invalid ones refused (400); a request with "fail" answered as SageMaker wraps a
    failing model (424 with the model's 500 inside)."""

    paths: list[str] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        Endpoint.paths.append(self.path)
        variant = self.headers.get("x-amzn-sagemaker-target-variant") or "v1"
        if isinstance(body.get("x"), dict):
            status, answer = 400, {"error": "x must be a number"}
        elif body.get("fail"):
            status, answer = 424, {"OriginalStatusCode": 500}
        else:
            status, answer = 200, {"prediction": body["x"] * 2}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header(INVOKED_VARIANT, variant)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Endpoint.paths = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_requests_are_tallied_per_variant_by_whose_fault_an_error_is(endpoint: str):
    requests = [{"x": 1}, {"x": 2, "fail": True}]
    summary = drive(
        endpoint,
        requests,
        rate=200,
        duration=5,
        max_requests=40,
        seed=1,
        invalid_fraction=0.25,
        endpoint_name="house-prices",
    )
    assert summary.sent == 40 and 0 < summary.invalid_sent < 40
    counters = summary.variants["v1"].to_counters()
    assert counters.requests == 40
    assert counters.client_errors == summary.invalid_sent  # the invalid ones: not the model's
    assert counters.ok + counters.model_errors == 40 - summary.invalid_sent
    assert counters.model_errors > 0  # the 424-wrapped failures count as the model's
    assert set(Endpoint.paths) == {"/endpoints/house-prices/invocations"}
    assert summary.to_dict()["variants"]["v1"]["requests"] == 40


def test_a_target_variant_and_the_plain_path(endpoint: str):
    summary = drive(endpoint, [{"x": 1}], rate=100, duration=5, max_requests=5, target_variant="v2")
    assert list(summary.variants) == ["v2"] and Endpoint.paths == ["/invocations"] * 5


def test_nobody_listening_counts_as_no_variant_model_errors():
    summary = drive("http://127.0.0.1:9", [{"x": 1}], rate=100, duration=1, max_requests=3)
    assert summary.variants[NO_VARIANT].to_counters().model_errors == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"requests": []}, "no requests"),
        ({"rate": 0}, "must be positive"),
        ({"invalid_fraction": 1.5}, "between 0 and 1"),
    ],
)
def test_arguments_are_checked(kwargs, message):
    arguments = {"url": "http://127.0.0.1:9", "requests": [{"x": 1}], **kwargs}
    with pytest.raises(ValueError, match=message):
        drive(**arguments)


def test_invalid_requests_keep_their_fields():
    assert invalidate({"a": 1, "b": "x"}) == {"a": {"invalid": True}, "b": {"invalid": True}}
    assert invalidate([1, 2]) == {"invalid": True}


@pytest.mark.parametrize(
    ("text", "op", "value"),
    [
        ("area=+2sd", "add_sd", 2.0),
        ("area=-0.5sd", "add_sd", -0.5),
        ("area=*1.5", "scale", 1.5),
        ("area=+3", "add", 3.0),
        ("area=null", "set", None),
        ("city=Berlin", "set", "Berlin"),
    ],
)
def test_shifts_parse(text, op, value):
    assert Shift.parse(text) == Shift(text.split("=")[0], op, value)


def test_a_shift_that_is_not_one_says_the_forms():
    with pytest.raises(ValueError, match="expected FEATURE=\\+2sd"):
        Shift.parse("area")
    with pytest.raises(ValueError, match="'\\+xsd' is not a number"):
        Shift.parse("area=+xsd")


def test_shifts_move_numbers_and_keep_integers_integers():
    rows = [{"area": 10, "price": 1.0}, {"area": 20, "price": 3.0}, {"city": "x"}]
    moved = shift_requests(rows, [Shift.parse("area=+1sd"), Shift.parse("price=*2")])
    sd = 50**0.5  # sample standard deviation of 10 and 20
    assert [r.get("area") for r in moved] == [round(10 + sd), round(20 + sd), None]
    assert [r.get("price") for r in moved[:2]] == [0.0, 4.0]  # spread around the mean 2.0
    assert rows[0] == {"area": 10, "price": 1.0}  # the originals are untouched
    with pytest.raises(ValueError, match="no numeric values"):
        shift_requests(rows, [Shift.parse("city=+1")])


def test_a_project_without_runs_or_endpoint_says_what_to_do(bake):
    workspace = Workspace(load_config(bake()))
    with pytest.raises(StageError, match="no run of house-prices has a validation split"):
        replay_run(workspace)
    from stainless.pipeline.stages import run_stage

    run_stage(workspace, "preprocess", "r1")
    with pytest.raises(StageError, match="run r0 has no validation split"):
        replay_run(workspace, run_id="r0")
    with pytest.raises(StainlessError, match="e.g. --shift area_sqm=\\+2sd"):
        replay_run(workspace, shifts=["area_sqm"])
