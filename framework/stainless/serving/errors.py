"""Error answers of the server. Every one names whose fault it is in a header the canary
controller reads, and has a small JSON body: what was wrong and where, never the payload."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson

from stainless.project.schemas import Violation

ORIGIN_HEADER = b"x-stainless-error-origin"
VERSION_HEADER = b"x-stainless-model-version"
# The origins the canary controller understands; a 5xx is blamed on the model unless the
# response schema (our contract with callers) is what broke.
CLIENT, MODEL, RESPONSE = "client", "model", "response"
MAX_TEXT = 300


@dataclass
class ServingError(Exception):
    """An answer other than 2xx, raised anywhere below the request handler."""

    status: int
    origin: str
    message: str
    violations: list[Violation] = field(default_factory=list)
    error_id: str | None = None
    where: dict[str, Any] = field(default_factory=dict)  # e.g. {"index": 3} in a batch

    def __post_init__(self) -> None:
        super().__init__(self.message)
        if self.status >= 500 and self.error_id is None:
            self.error_id = new_error_id()

    def body(self) -> bytes:
        error: dict[str, Any] = {
            "status": self.status,
            "origin": self.origin,
            "message": bounded(self.message),
        }
        if self.violations:
            error["violations"] = [
                {"path": bounded(v.path), "message": bounded(v.message)} for v in self.violations
            ]
        if self.error_id:
            error["error_id"] = self.error_id
        error.update(self.where)
        return orjson.dumps({"error": error})


def new_error_id() -> str:
    return uuid.uuid4().hex[:12]


def bounded(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def client_error(status: int, message: str, **where: Any) -> ServingError:
    return ServingError(status, CLIENT, message, where=where)
