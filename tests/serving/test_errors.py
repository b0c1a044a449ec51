"""stainless.serving.errors: an error answer's JSON body, whose fault it is, and its id (the
server sending them runs in tests/serving/test_app.py)."""

from __future__ import annotations

import json

from stainless.project.schemas import Violation
from stainless.serving.errors import MAX_TEXT, MODEL, ServingError, bounded, client_error


def test_a_client_error_names_the_origin_and_where_without_an_id():
    error = client_error(400, "the request is not JSON", index=3)
    body = json.loads(error.body())["error"]
    assert body == {"status": 400, "origin": "client", "message": "the request is not JSON",
                    "index": 3}  # fmt: skip
    assert error.error_id is None


def test_a_server_error_gets_an_id_to_find_its_log_line():
    first, second = ServingError(500, MODEL, "predict raised"), ServingError(500, MODEL, "x")
    assert first.error_id and len(first.error_id) == 12 and first.error_id != second.error_id
    assert json.loads(first.body())["error"]["error_id"] == first.error_id
    assert ServingError(503, MODEL, "busy", error_id="given").error_id == "given"


def test_long_texts_are_bounded_so_a_payload_never_echoes_back_whole():
    huge = "x" * 10_000
    violation = Violation(path="/" + huge, message=huge)
    body = json.loads(ServingError(422, "client", huge, violations=[violation]).body())["error"]
    assert len(body["message"]) == MAX_TEXT and body["message"].endswith("...")
    [shown] = body["violations"]
    assert len(shown["path"]) == MAX_TEXT and len(shown["message"]) == MAX_TEXT
    assert bounded("short") == "short"
