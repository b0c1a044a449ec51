"""The property tests' request strategies: valid requests drawn from a request schema, broken
ones each failing that schema, and the schema keywords the generator cannot honour."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator
from stainless.testing.strategies import (
    broken_requests,
    json_type,
    unsupported_keywords,
    valid_requests,
)

SCHEMA = {
    "type": "object",
    "properties": {
        "area_sqm": {"type": "number", "minimum": 10, "maximum": 500},
        "bedrooms": {"type": "integer", "minimum": 0, "maximum": 9},
        "neighborhood": {"enum": ["north", "east"]},
    },
    "required": ["area_sqm", "neighborhood"],
    "additionalProperties": False,
}
# Chosen so that every break is invalid: in general one may stay valid (an integer is a number;
# the suite allows for that), but 7 is below area_sqm's minimum.
VALIDATOR = Draft202012Validator(SCHEMA)
QUICK = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@QUICK
@given(valid_requests(SCHEMA))
def test_valid_requests_are_valid(request):
    assert VALIDATOR.is_valid(request)


@QUICK
@given(broken_requests(SCHEMA))
def test_every_broken_request_breaks_the_schema_the_way_it_says(case):
    assert not VALIDATOR.is_valid(case.request), case.description
    if case.key is None:
        assert not isinstance(case.request, dict)
    elif case.description.startswith("without"):
        assert case.key in SCHEMA["required"] and case.key not in case.request
    else:
        assert case.key in case.request and case.description.startswith(f"with {case.key!r}")


@pytest.mark.parametrize(
    ("value", "kind"),
    [(None, "null"), (True, "boolean"), (3, "integer"), (2.5, "number"), ("x", "string"),
     ([1], "array"), ({"a": 1}, "object")],
)  # fmt: skip
def test_json_types(value, kind):
    assert json_type(value) == kind


def test_unsupported_keywords_are_found_where_they_are_keywords() -> None:
    schema = {
        "type": "object",
        "properties": {"prefixItems": {"type": "array", "prefixItems": [{"type": "number"}]}},
        "dependentRequired": {"a": ["b"]},
        "enum": [{"unevaluatedProperties": 1}],
    }
    assert unsupported_keywords(schema) == [
        "/properties/prefixItems/prefixItems",
        "/dependentRequired",
    ]
