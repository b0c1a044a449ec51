"""The request/response JSON Schemas of a model, and fast compiled validators for them.

Schemas are checked once with the reference ``jsonschema`` implementation (clear messages for a
person); requests are validated with ``jsonschema-rs`` (compiled, microseconds per call).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError as JsonSchemaError

from stainless.core.errors import SchemaError

MAX_ERRORS = 5
MAX_MESSAGE = 200


@dataclass(frozen=True)
class Violation:
    """One reason a document is invalid: where (JSON pointer) and why, bounded in size."""

    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class CompiledValidator:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._validator = jsonschema_rs.Draft202012Validator(schema)

    def is_valid(self, instance: Any) -> bool:
        return self._validator.is_valid(instance)

    def violations(self, instance: Any, limit: int = MAX_ERRORS) -> list[Violation]:
        found: list[Violation] = []
        for error in self._validator.iter_errors(instance):
            pointer = "/" + "/".join(str(part) for part in error.instance_path)
            message = error.message
            if len(message) > MAX_MESSAGE:
                message = message[: MAX_MESSAGE - 3] + "..."
            found.append(Violation(pointer, message))
            if len(found) >= limit:
                break
        return found


@dataclass(frozen=True)
class ModelSchemas:
    file: str
    request: dict[str, Any]
    response: dict[str, Any]
    request_validator: CompiledValidator = field(repr=False, compare=False)
    response_validator: CompiledValidator = field(repr=False, compare=False)

    @property
    def request_examples(self) -> list[Any]:
        return list(self.request.get("examples", []))

    @property
    def response_examples(self) -> list[Any]:
        return list(self.response.get("examples", []))


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of two equal keys: a second "properties" would silently drop the first.
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKey(key)
        document[key] = value
    return document


def load_schemas(path: Path) -> ModelSchemas:
    """Read ``schemas.json`` ({"request": ..., "response": ...}) and check it thoroughly."""
    name = path.name
    if not path.is_file():
        raise SchemaError(
            "file not found",
            file=str(path),
            fix='create it with {"request": {...}, "response": {...}}',
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise SchemaError(
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=name
        ) from None
    except _DuplicateKey as exc:
        raise SchemaError(
            f"the key {exc.key!r} appears twice in one object (JSON parsers keep only the last)",
            file=name,
            key=exc.key,
            fix=f"merge the two {exc.key!r} entries into one",
        ) from None
    if not isinstance(document, dict):
        raise SchemaError(
            "must be a JSON object", file=name, expected='{"request": ..., "response": ...}'
        )
    for key in ("request", "response"):
        if key not in document:
            raise SchemaError(
                "missing JSON Schema",
                file=name,
                key=key,
                fix=f'add "{key}": {{"type": "object", ...}}',
            )
        schema = document[key]
        if not isinstance(schema, dict):
            raise SchemaError("must be a JSON Schema object", file=name, key=key)
        try:
            Draft202012Validator.check_schema(schema)
        except JsonSchemaError as exc:
            raise SchemaError(
                f"not a valid JSON Schema (draft 2020-12): {exc.message}",
                file=name,
                key=key + pointer(exc.absolute_path),
            ) from None
        for index, example in enumerate(schema.get("examples", [])):
            errors = list(Draft202012Validator(schema).iter_errors(example))
            if errors:
                error = errors[0]
                rule = f"{key}{pointer(error.absolute_schema_path)}"
                raise SchemaError(
                    f"example {index} does not validate: {describe_error(error)}",
                    file=name,
                    key=f"{key}/examples/{index}{pointer(error.absolute_path)}",
                    fix=f"fix the example or the schema at {rule} so they agree",
                )
    unknown = sorted(set(document) - {"request", "response", "$comment"})
    if unknown:
        raise SchemaError(
            "unknown top-level key", file=name, key=unknown[0], expected='"request" and "response"'
        )
    return ModelSchemas(
        file=name,
        request=document["request"],
        response=document["response"],
        request_validator=CompiledValidator(document["request"]),
        response_validator=CompiledValidator(document["response"]),
    )


def pointer(parts: Any) -> str:
    """A JSON pointer (``/properties/age``) from jsonschema's path deque; "" for the root."""
    return "".join(f"/{part}" for part in parts)


def describe_error(error: Any) -> str:
    """jsonschema's message with values as JSON (``"2019.0"``, not Python's ``'2019.0'``), so
    a data scientist can search schemas.json for what is printed."""
    instance = json.dumps(error.instance, ensure_ascii=False, default=repr)
    if error.validator == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        return f"{instance} is not of type {wanted}"
    if error.validator == "required":
        return error.message.replace("'", '"')
    if error.validator == "enum":
        return f"{instance} is not one of {json.dumps(error.validator_value)}"
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{instance} breaks {error.validator}: {json.dumps(error.validator_value)}"
    return error.message
