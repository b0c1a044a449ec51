"""What the shared suite says on a failure (issue 13 items 1-2): the whole request, and advice
that matches the cause."""

from __future__ import annotations

import json

from stainless.testing.explain import schema_gap, server_crash, show_request

SCHEMA = {
    "type": "object",
    "required": ["area", "zone"],
    "additionalProperties": False,
    "properties": {"area": {"type": "number"}, "zone": {"enum": ["n", "s"]}, "note": {}},
}


def test_the_whole_request_is_shown_in_its_own_order() -> None:
    request = {f"f{i:02d}": float(i) for i in range(30, 0, -1)} | {"worst_radius": 40.5}
    shown = show_request(request)
    assert json.loads(shown) == request
    assert list(json.loads(shown)) == list(request)  # not sorted, nothing cut
    assert '"worst_radius": 40.5' in shown


def test_an_integer_for_a_number_is_a_valid_request_so_the_model_is_at_fault() -> None:
    request = {"area": 7, "zone": "n"}
    assert schema_gap(SCHEMA, request, "area") is None
    message = server_crash(
        "model.py", "schemas.json", SCHEMA, "with 'area' of type integer", request, "area", 500
    )
    assert message.startswith("model.py: the model crashed (HTTP 500)")
    assert "valid under schemas.json 'request'" in message and "required" not in message
    assert '"area": 7' in message


def test_an_unconstrained_part_of_the_schema_is_a_schema_gap_with_its_path() -> None:
    request = {"area": 1.0, "zone": "n", "note": [1]}
    message = server_crash(
        "model.py", "schemas.json", SCHEMA, "with 'note' of type array", request, "note", 500
    )
    assert message.startswith("schemas.json: request/properties/note: the model crashed")
    assert "give 'note' a \"type\"" in message
    open_schema = {**SCHEMA, "additionalProperties": True}
    gap = schema_gap(open_schema, {"area": 1.0, "zone": "n", "x": 1}, "x")
    assert gap is not None and gap.pointer == "/additionalProperties"
    bare = schema_gap({"properties": {}}, 7, None)
    assert bare is not None and bare.pointer == "/type"
    assert schema_gap(SCHEMA, 7, None) is None
