"""Data capture: sampled pairs reach the artifact store off the request path, drops counted."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson
from stainless.backends.storage.local import LocalStore
from stainless.serving import ServingSettings, create_app
from stainless.serving.capture import DataCapture

JSON = {"content-type": "application/json"}


def captured(root: Path) -> list[dict[str, Any]]:
    return [
        orjson.loads(line)
        for path in sorted(root.rglob("*.jsonl"))
        for line in path.read_bytes().splitlines()
    ]


def test_every_pair_is_written_on_shutdown_at_rate_one(
    model: Any, client_for: Any, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "store")
    settings = ServingSettings(capture_sample_rate=1.0, capture_flush_seconds=3600)
    app = create_app(model, settings, name="m", version="3", capture_store=store)
    client = client_for(app)
    client.post("/invocations", content=b'{"x": 1}', headers=JSON)
    client.post("/invocations", content=b'[{"x": 2}]', headers=JSON)
    client.post("/invocations", content=b'{"x": "bad"}', headers=JSON)  # errors: not captured
    app.close()
    records = captured(tmp_path / "store")
    assert [r["request"] for r in records] == [{"x": 1}, [{"x": 2}]]
    assert records[0]["response"] == {"prediction": 2.0}
    keys = store.list("capture")
    assert keys and all(k.startswith("capture/m/3/") and k.endswith(".jsonl") for k in keys)
    assert 'stainless_capture_records_total{outcome="written"} 2.0' in app.metrics.render().decode()


def test_rate_zero_captures_nothing(model: Any, client_for: Any, tmp_path: Path) -> None:
    settings = ServingSettings(capture_sample_rate=0.0)
    app = create_app(model, settings, capture_store=LocalStore(tmp_path / "store"))
    client_for(app).post("/invocations", content=b'{"x": 1}', headers=JSON)
    app.close()
    assert app.capture is None
    assert not (tmp_path / "store").exists()


def test_records_are_flushed_after_flush_seconds(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    capture = DataCapture(store, "capture/m/1", 1.0, 100, flush_seconds=0.05)
    capture.offer({"x": 1}, {"prediction": 2}, "json")
    deadline = threading.Event()
    for _ in range(100):
        if store.list("capture"):
            break
        deadline.wait(0.02)
    assert len(store.list("capture")) == 1
    capture.close()


class GatedStore(LocalStore):
    """A store whose writes wait for a gate, like S3 during an outage."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gate = threading.Event()

    def put_bytes(self, key: str, data: bytes) -> None:
        self.gate.wait(10)
        super().put_bytes(key, data)


def test_a_full_queue_drops_and_counts_instead_of_blocking(tmp_path: Path) -> None:
    store = GatedStore(tmp_path)
    counts: dict[str, int] = {}
    capture = DataCapture(
        store,
        "capture/m/1",
        1.0,
        max_queue=2,
        flush_seconds=0.01,
        count=lambda outcome, n: counts.__setitem__(outcome, counts.get(outcome, 0) + n),
    )
    for i in range(50):
        capture.offer({"x": i}, {"prediction": i}, "json")
    assert counts["dropped"] >= 45
    store.gate.set()
    capture.close()
    assert counts["written"] == counts["queued"]


class BrokenStore(LocalStore):
    def put_bytes(self, key: str, data: bytes) -> None:
        raise OSError("bucket unreachable")


def test_a_failing_store_costs_records_not_requests(
    model: Any, client_for: Any, tmp_path: Path
) -> None:
    settings = ServingSettings(capture_sample_rate=1.0)
    app = create_app(model, settings, capture_store=BrokenStore(tmp_path))
    assert (
        client_for(app).post("/invocations", content=b'{"x": 1}', headers=JSON).status_code == 200
    )
    app.close()
    assert 'stainless_capture_records_total{outcome="failed"} 1.0' in app.metrics.render().decode()


def test_records_carry_request_id_version_variant_and_are_redacted(
    model: Any, client_for: Any, tmp_path: Path
) -> None:
    from stainless.serving.records import parse_lines

    store = LocalStore(tmp_path / "store")
    settings = ServingSettings(
        capture_sample_rate=1.0,
        capture_drop_fields=("note",),
        capture_redact_fields=("prediction",),
    )
    app = create_app(model, settings, name="m", version="3", capture_store=store)
    client = client_for(app)
    mine = client.post(
        "/invocations",
        content=b'{"x": 1, "note": "personal"}',
        headers={**JSON, "x-amzn-sagemaker-inference-id": "abc-1", "x-stainless-variant": "v3"},
    )
    theirs = client.post("/invocations", content=b'{"x": 2}', headers=JSON)
    app.close()
    assert mine.headers["x-stainless-request-id"] == "abc-1"
    generated = theirs.headers["x-stainless-request-id"]
    assert len(generated) == 32
    records = [r for key in store.list("capture") for r in parse_lines(store.get_bytes(key))]
    first, second = sorted(records, key=lambda r: r.request["x"])
    assert (first.request_id, first.version, first.variant) == ("abc-1", "3", "v3")
    assert first.request == {"x": 1} and first.response == {"prediction": "[redacted]"}
    assert (second.request_id, second.variant) == (generated, None)
