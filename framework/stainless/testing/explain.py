"""What the shared suite says when a model fails: the whole falsifying request, the hook file and
function at fault, and advice that matches the cause.

Two causes look alike from the outside (the server answers 5xx) but have different fixes:

* the request is valid under the request schema and the model crashed on it: the fault is in
  model.py, and the request reproduces it;
* the request only got through because the schema does not constrain that part (a property
  without a ``type``, an unknown key allowed, a top level without ``"type": "object"``): the
  fix is in schemas.json, at a JSON path we can name.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stainless.project.runtime import ModelFailure, PredictionError, RequestInvalid, ResponseInvalid

# Keywords that restrict which JSON types a (sub)schema accepts.
_TYPE_KEYWORDS = ("type", "enum", "const", "$ref", "anyOf", "oneOf", "allOf", "not")


def show_request(request: Any) -> str:
    """The request exactly as generated (and shrunk): every field, in its own order, as JSON."""
    text = json.dumps(request, indent=2, ensure_ascii=False, default=repr)
    return "\n".join("    " + line for line in text.splitlines())


def where_raised(exc: BaseException, file: str) -> str:
    """``model.py line 31, in predict`` for the innermost frame of ``file`` in the traceback."""
    frames = traceback.extract_tb(exc.__traceback__) if exc.__traceback__ else []
    ours = [f for f in frames if Path(f.filename).name == file]
    if not ours:
        return f"{file}, in the predict function load_model returns"
    frame = ours[-1]
    return f"{file} line {frame.lineno}, in {frame.name}()"


@dataclass(frozen=True)
class SchemaGap:
    """Where the request schema lets a broken request through: a JSON pointer into the
    ``request`` schema and what to add there."""

    pointer: str
    advice: str


def schema_gap(schema: dict[str, Any], request: Any, changed_key: str | None) -> SchemaGap | None:
    """The part of ``schema`` that accepts ``request`` only because it constrains nothing there;
    None when the schema does constrain it (then the request is valid and the model is at fault)."""
    if not isinstance(request, dict):
        if not _constrains_type(schema):
            return SchemaGap("/type", 'add "type": "object" so a bare value is rejected with 400')
        return None
    if changed_key is None:
        return None
    properties = schema.get("properties", {})
    if changed_key in properties:
        if not _constrains_type(properties[changed_key]):
            return SchemaGap(
                f"/properties/{changed_key}",
                f'give {changed_key!r} a "type" (or an "enum") so other values are rejected',
            )
        return None
    if schema.get("additionalProperties", True) is not False:
        return SchemaGap(
            "/additionalProperties",
            f'describe {changed_key!r} under "properties", or set "additionalProperties": false',
        )
    return None


def _constrains_type(schema: Any) -> bool:
    return isinstance(schema, dict) and any(key in schema for key in _TYPE_KEYWORDS)


def server_crash(
    model_file: str,
    schemas_file: str,
    schema: dict[str, Any],
    description: str,
    request: Any,
    changed_key: str | None,
    status: int,
) -> str:
    """A 5xx on a request made by breaking a valid one."""
    gap = schema_gap(schema, request, changed_key)
    shown = show_request(request)
    if gap is not None:
        return (
            f"{schemas_file}: request{gap.pointer}: the model crashed (HTTP {status}) on a "
            f"request {description}, which the request schema lets through because nothing "
            f"there constrains it; the caller gets a 5xx instead of a 4xx. Fix: in "
            f"{schemas_file} at request{gap.pointer}, {gap.advice}. Falsifying request:\n{shown}"
        )
    return (
        f"{model_file}: the model crashed (HTTP {status}) on a request {description}. The "
        f"request is valid under {schemas_file} 'request', so the fault is in the predict "
        f"function load_model returns, not in the schema. Fix: make predict in {model_file} "
        f"handle it (reproduce with predict(request) on the request below), or narrow "
        f"{schemas_file} 'request' if such requests are really invalid. Falsifying request:\n"
        f"{shown}"
    )


def prediction_failure(
    exc: PredictionError, model_file: str, schemas_file: str, what: str, request: Any
) -> str:
    """A failure of ``LoadedModel.predict`` on ``request`` (a schema example, a generated
    request, a validation row), with the request in full."""
    shown = show_request(request)
    if isinstance(exc, ResponseInvalid):
        return (
            f"{model_file}: for {what} the response of the predict function load_model returns "
            f"violates {schemas_file} 'response' {describe(exc.violations)}. Fix: return what "
            f"{schemas_file} 'response' describes from predict in {model_file}, or change that "
            f"schema. Falsifying request:\n{shown}"
        )
    if isinstance(exc, ModelFailure):
        cause = exc.__cause__ if exc.__cause__ is not None else exc
        return (
            f"{model_file}: the model raised {exc.message} at {where_raised(cause, model_file)} "
            f"on {what}, which is valid under {schemas_file} 'request'. Fix: handle such "
            f"requests in {model_file} (reproduce with predict(request) on the request below), "
            f"or reject them in {schemas_file} 'request'. Falsifying request:\n{shown}"
        )
    if isinstance(exc, RequestInvalid):
        return (
            f"{schemas_file}: {what} does not match the request schema "
            f"{describe(exc.violations)}. Fix: make {schemas_file} 'request' and the columns "
            f"preprocess.py keeps (minus the target) agree. Request:\n{shown}"
        )
    return f"{model_file}: {exc}. Request:\n{shown}"


def not_json(model_file: str, exc: Exception, request: Any) -> str:
    return (
        f"{model_file}: the response of predict is not JSON data ({type(exc).__name__}: "
        f"{exc}). Fix: convert numpy values with float()/int()/.tolist() before returning "
        f"them from predict in {model_file}. Falsifying request:\n{show_request(request)}"
    )


def describe(violations: list[Any]) -> str:
    return "; ".join(f"at {v.path}: {v.message}" for v in violations[:3])
