"""Stainless's record of a version, packed into a SageMaker model package's metadata.

SageMaker keeps at most 50 ``CustomerMetadataProperties`` per package, each value at most 256
characters drawn from letters, digits, spaces and ``_.:/=+-@``: JSON (braces, quotes, commas) is
refused by the real service. So a version's document (artifact URI, lineage, metrics, decision,
events) is stored as zlib-compressed JSON in base64 (whose alphabet fits that pattern), split over
``stainless.doc.0``, ``stainless.doc.1``, ... The run id and status stay readable in their own
keys, for people browsing the SageMaker console. Keys without the ``stainless.`` prefix belong to
someone else and are kept as they are.
"""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from stainless.core.errors import BackendError

MAX_KEYS = 50
MAX_VALUE = 256
PREFIX = "stainless."
RUN_ID_KEY = "stainless.run_id"
STATUS_KEY = "stainless.status"
FORMAT_KEY = "stainless.format"
DOC_PREFIX = "stainless.doc."
FORMAT = "zlib-base64-json-1"
_ALLOWED_PUNCTUATION = set("_.:/=+-@")


@dataclass
class Record:
    """What stainless knows about one version beyond what SageMaker stores natively."""

    run_id: str
    status: str
    artifact_uri: str
    lineage: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    decision: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    events_dropped: int = 0  # oldest events given up to stay within SageMaker's limits


def is_valid_value(value: str) -> bool:
    """SageMaker's CustomerMetadataValue pattern ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]{1,256}``."""
    return 0 < len(value) <= MAX_VALUE and all(
        char.isalnum() or char.isspace() or char in _ALLOWED_PUNCTUATION for char in value
    )


def encode(record: Record, others: dict[str, str]) -> dict[str, str]:
    """The metadata map for ``record``, next to ``others`` (keys someone else owns).

    When the events no longer fit, the oldest are dropped (and counted); if even the record
    without events does not fit, the version cannot be stored and that is an error.
    """
    for key, value in ((RUN_ID_KEY, record.run_id), (STATUS_KEY, record.status)):
        if not is_valid_value(value):
            raise BackendError(
                f"{value!r} cannot be stored as SageMaker metadata",
                key=key,
                expected="at most 256 letters, digits, spaces or _.:/=+-@",
            )
    budget = MAX_KEYS - len(others) - 3  # run id, status, format
    events, dropped = list(record.events), record.events_dropped
    while True:
        chunks = _chunks(_document(record, events, dropped))
        if len(chunks) <= budget:
            break
        if not events:
            raise BackendError(
                f"the registry record of run {record.run_id} needs {len(chunks)} SageMaker "
                f"metadata entries but only {budget} are free",
                key="registry",
                expected=f"at most {budget} entries of {MAX_VALUE} characters (compressed)",
                fix="log fewer or smaller metrics (ctx.log_metric) or remove CustomerMetadata"
                "Properties that other tools added to the model package",
            )
        events.pop(0)
        dropped += 1
    properties = dict(others)
    properties.update({RUN_ID_KEY: record.run_id, STATUS_KEY: record.status, FORMAT_KEY: FORMAT})
    properties.update({f"{DOC_PREFIX}{i}": chunk for i, chunk in enumerate(chunks)})
    return properties


def decode(properties: dict[str, str]) -> Record | None:
    """The record stored in ``properties``, or None for a package stainless did not register."""
    run_id = properties.get(RUN_ID_KEY)
    if run_id is None:
        return None
    if properties.get(FORMAT_KEY) != FORMAT:
        raise BackendError(
            f"the model package of run {run_id} uses metadata format "
            f"{properties.get(FORMAT_KEY)!r}",
            key=FORMAT_KEY,
            expected=FORMAT,
            fix="upgrade stainless to the version that registered it",
        )
    chunks = []
    index = 0
    while f"{DOC_PREFIX}{index}" in properties:
        chunks.append(properties[f"{DOC_PREFIX}{index}"])
        index += 1
    document = json.loads(zlib.decompress(base64.b64decode("".join(chunks))))
    return Record(
        run_id=run_id,
        status=properties.get(STATUS_KEY, "candidate"),
        artifact_uri=document["artifact_uri"],
        lineage=document.get("lineage", {}),
        metrics=document.get("metrics", {}),
        decision=document.get("decision"),
        events=document.get("events", []),
        events_dropped=document.get("events_dropped", 0),
    )


def foreign(properties: dict[str, str]) -> dict[str, str]:
    """The entries another tool (or a person) added; stainless rewrites only its own."""
    return {k: v for k, v in properties.items() if not k.startswith(PREFIX)}


def _document(record: Record, events: list[dict[str, Any]], dropped: int) -> dict[str, Any]:
    return {
        "artifact_uri": record.artifact_uri,
        "lineage": record.lineage,
        "metrics": record.metrics,
        "decision": record.decision,
        "events": events,
        "events_dropped": dropped,
    }


def _chunks(document: dict[str, Any]) -> list[str]:
    raw = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str).encode()
    text = base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
    return [text[i : i + MAX_VALUE] for i in range(0, len(text), MAX_VALUE)]
