"""Hypothesis strategies for the property tests: valid requests straight from the request
schema (hypothesis-jsonschema), and invalid ones made by breaking a valid request."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# JSON Schema 2019-09/2020-12 keywords hypothesis-jsonschema (drafts 4-7) does not generate
# for: requests drawn from such schemas are filtered by the real validator, and properties
# behind these keywords are explored less well.
UNSUPPORTED_KEYWORDS = frozenset({
    "prefixItems", "unevaluatedProperties", "unevaluatedItems", "dependentRequired",
    "dependentSchemas", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor",
    "minContains", "maxContains", "contentSchema",
})  # fmt: skip
_SCHEMA_MAPS = frozenset(
    {"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"}
)
_DATA = frozenset({"enum", "const", "examples", "default", "required", "description", "title"})
# One value of each JSON type, to replace a value with one of another type.
_OTHER_TYPES: dict[str, Any] = {
    "string": "not-a-number", "integer": 7, "number": 2.5, "boolean": True, "null": None,
    "array": [1], "object": {"unexpected": 1},
}  # fmt: skip


def unsupported_keywords(schema: Any, path: str = "") -> list[str]:
    """JSON pointers of keywords of ``schema`` the generator cannot honour."""
    found: list[str] = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            where = f"{path}/{key}"
            if key in UNSUPPORTED_KEYWORDS:
                found.append(where)
            if key in _DATA:
                continue
            if key in _SCHEMA_MAPS and isinstance(value, dict):
                for name, sub in value.items():
                    found += unsupported_keywords(sub, f"{where}/{name}")
            else:
                found += unsupported_keywords(value, where)
    elif isinstance(schema, list):
        for index, item in enumerate(schema):
            found += unsupported_keywords(item, f"{path}/{index}")
    return found


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def valid_requests(schema: dict[str, Any]) -> Any:
    from hypothesis_jsonschema import from_schema

    return from_schema(schema)


@dataclass(frozen=True)
class BrokenRequest:
    """A valid request broken one way; ``key`` is the key changed or dropped (None when the
    whole request was replaced)."""

    description: str
    request: Any
    key: str | None


def broken_requests(schema: dict[str, Any]) -> Any:
    """BrokenRequest: a valid request with one required key removed, one value replaced by a
    value of another JSON type, or the whole request replaced."""
    from hypothesis import strategies as st

    # Built once: hypothesis-jsonschema canonicalises and resolves the whole schema each time
    # a strategy is made, which costs far more than drawing from it.
    valid = valid_requests(schema)

    @st.composite
    def build(draw: Any) -> BrokenRequest:
        request = draw(valid)
        choices = ["replace the request"]
        if isinstance(request, dict):
            if any(key in request for key in schema.get("required", [])):
                choices.append("drop a required key")
            if request:
                choices.append("change the type of a value")
        choice = draw(st.sampled_from(choices))
        if choice == "drop a required key":
            key = draw(st.sampled_from([k for k in schema["required"] if k in request]))
            broken = {k: v for k, v in request.items() if k != key}
            return BrokenRequest(f"without required key {key!r}", broken, key)
        if choice == "change the type of a value":
            key = draw(st.sampled_from(sorted(request)))
            kind = draw(st.sampled_from(sorted(set(_OTHER_TYPES) - {json_type(request[key])})))
            changed = {**request, key: _OTHER_TYPES[kind]}
            return BrokenRequest(f"with {key!r} of type {kind}", changed, key)
        kind = draw(st.sampled_from(sorted(set(_OTHER_TYPES) - {json_type(request)})))
        return BrokenRequest(f"a bare {kind} instead of a request", _OTHER_TYPES[kind], None)

    return build()
