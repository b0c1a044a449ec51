"""Captured request/response records: our JSON Lines format, SageMaker's, and redaction.

Our server writes one JSON object per line::

    {"request_id": "...", "captured_at": "2026-01-01T10:00:00.123+00:00", "model": "m",
     "version": "3", "variant": "v3", "kind": "json", "request": {...}, "response": {...}}

SageMaker's DataCaptureConfig writes (S3 key ``PREFIX/ENDPOINT/VARIANT/yyyy/mm/dd/hh/*.jsonl``)::

    {"captureData": {"endpointInput": {"observedContentType": "application/json",
       "mode": "INPUT", "data": "{...}", "encoding": "JSON"}, "endpointOutput": {...}},
     "eventMetadata": {"eventId": "...", "inferenceId": "...",
       "inferenceTime": "2026-01-01T10:00:00Z"}, "eventVersion": "0"}

:func:`parse_lines` reads both into :class:`CapturedRecord`. Pure: bytes in, records out.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

log = logging.getLogger("stainless.monitoring")

REDACTED = "[redacted]"


def capture_prefix(model: str, version: str | int | None = None) -> str:
    """Where a model's captured traffic lives in the store: capture/MODEL/VERSION/DAY/*.jsonl."""
    return f"capture/{model}" + (f"/{version}" if version is not None else "")


@dataclass(frozen=True)
class CapturedRecord:
    request_id: str | None
    captured_at: datetime
    request: Any
    response: Any
    version: str | None = None
    variant: str | None = None

    def rows(self) -> list[tuple[Any, Any]]:
        """(request, response) pairs: a batch record holds one per item."""
        if isinstance(self.request, list) and isinstance(self.response, list):
            return list(zip(self.request, self.response, strict=False))
        return [(self.request, self.response)]


def to_line(record: CapturedRecord, model: str, kind: str) -> bytes:
    document = {
        "request_id": record.request_id,
        "captured_at": record.captured_at.isoformat(timespec="milliseconds"),
        "model": model,
        "version": record.version,
        "variant": record.variant,
        "kind": kind,
        "request": record.request,
        "response": record.response,
    }
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"


def redact(document: Any, drop: Iterable[str], hide: Iterable[str]) -> Any:
    """Drop or mask top-level fields of a request/response (or of every item of a batch)."""
    drop, hide = frozenset(drop), frozenset(hide)
    if not drop and not hide:
        return document
    if isinstance(document, list):
        return [redact(item, drop, hide) for item in document]
    if not isinstance(document, dict):
        return document
    return {
        key: (REDACTED if key in hide else value)
        for key, value in document.items()
        if key not in drop
    }


def parse_lines(data: bytes, variant: str | None = None) -> Iterator[CapturedRecord]:
    """Records of one capture file in either format; a line that cannot be read is skipped
    (and logged): one corrupt line must not hide a day of traffic."""
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            document = orjson.loads(line)
            if "captureData" in document:
                yield _sagemaker(document, variant)
            else:
                yield _ours(document)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            log.warning("capture line %d skipped: %s", number, exc)


def _ours(document: dict[str, Any]) -> CapturedRecord:
    return CapturedRecord(
        request_id=document.get("request_id"),
        captured_at=_time(document["captured_at"]),
        request=document["request"],
        response=document.get("response"),
        version=None if document.get("version") is None else str(document["version"]),
        variant=document.get("variant"),
    )


def _sagemaker(document: dict[str, Any], variant: str | None) -> CapturedRecord:
    capture = document["captureData"]
    metadata = document.get("eventMetadata", {})
    return CapturedRecord(
        request_id=metadata.get("inferenceId") or metadata.get("eventId"),
        captured_at=_time(metadata["inferenceTime"]),
        request=_payload(capture["endpointInput"]),
        response=_payload(capture["endpointOutput"]) if "endpointOutput" in capture else None,
        variant=variant,
    )


def _payload(part: dict[str, Any]) -> Any:
    data = part["data"]
    encoding = part.get("encoding", "JSON").upper()
    raw = base64.b64decode(data) if encoding == "BASE64" else data.encode()
    content_type = part.get("observedContentType", "application/json").lower()
    if "jsonlines" in content_type:
        return [orjson.loads(line) for line in raw.splitlines() if line.strip()]
    if "csv" in content_type:
        return [_csv_value(v) for v in raw.decode().strip().split(",")]
    return orjson.loads(raw)


def _csv_value(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text


def _time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sagemaker_variant(key: str) -> str | None:
    """The variant in a SageMaker capture key PREFIX/ENDPOINT/VARIANT/yyyy/mm/dd/hh/FILE."""
    parts = key.split("/")
    return parts[-6] if len(parts) >= 7 and parts[-5].isdigit() else None
