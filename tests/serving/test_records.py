"""Capture records: our format and SageMaker DataCaptureConfig's, read by the same parser."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

from stainless.serving.records import (
    CapturedRecord,
    parse_lines,
    redact,
    sagemaker_variant,
    to_line,
)


def sagemaker_line(request: object, response: object, inference_id: str, encoding: str) -> bytes:
    def part(data: object, mode: str) -> dict:
        text = json.dumps(data)
        if encoding == "BASE64":
            text = base64.b64encode(text.encode()).decode()
        return {
            "observedContentType": "application/json",
            "mode": mode,
            "data": text,
            "encoding": encoding,
        }

    document = {
        "captureData": {
            "endpointInput": part(request, "INPUT"),
            "endpointOutput": part(response, "OUTPUT"),
        },
        "eventMetadata": {
            "eventId": "e-1",
            "inferenceId": inference_id,
            "inferenceTime": "2026-03-01T10:00:01Z",
        },
        "eventVersion": "0",
    }
    return json.dumps(document).encode() + b"\n"


def test_both_formats_read_the_same() -> None:
    at = datetime(2026, 3, 1, 10, 0, 1, tzinfo=UTC)
    ours = to_line(CapturedRecord("r1", at, {"a": 1}, {"prediction": 2}, "4", "v4"), "m", "json")
    batch = ([{"a": 1}, {"a": 3}], [{"prediction": 2}, {"prediction": 4}])
    data = (
        ours
        + sagemaker_line({"a": 1}, {"prediction": 2}, "r2", "JSON")
        + sagemaker_line(*batch, "r3", "BASE64")
        + b"not json\n"
    )
    records = list(parse_lines(data, variant="AllTraffic"))
    assert [r.request_id for r in records] == ["r1", "r2", "r3"]
    assert all(r.captured_at == at for r in records)
    assert records[0].rows() == records[1].rows() == [({"a": 1}, {"prediction": 2})]
    assert (records[0].version, records[0].variant) == ("4", "v4")
    assert records[1].variant == "AllTraffic"
    assert records[2].rows()[1] == ({"a": 3}, {"prediction": 4})


def test_sagemaker_key_names_the_variant_and_redaction() -> None:
    key = "capture/house-prices/AllTraffic/2026/03/01/10/17-00-1-abc.jsonl"
    assert sagemaker_variant(key) == "AllTraffic"
    assert sagemaker_variant("capture/m/3/2026-03-01/x.jsonl") is None
    assert redact([{"a": 1, "b": 2, "c": 3}], ["b"], ["c"]) == [{"a": 1, "c": "[redacted]"}]
