"""Per-variant counters: who is blamed for what, the latency histogram, and durable buckets."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from stainless.backends.endpoints.local.counters import (
    CLIENT_ERROR,
    MODEL_ERROR,
    OK,
    CounterBuffer,
    CounterStore,
    Tally,
    classify,
)
from stainless.backends.endpoints.local.state import EndpointState, VariantRecord


@pytest.mark.parametrize(
    ("status", "origin", "expected"),
    [
        (200, None, OK),
        (400, "client", CLIENT_ERROR),
        (415, None, CLIENT_ERROR),  # a 4xx without origin is the caller's
        (500, "model", MODEL_ERROR),
        (500, "response", MODEL_ERROR),  # a response breaking its schema is the model's fault
        (502, None, MODEL_ERROR),
        (503, "client", CLIENT_ERROR),  # the server's word wins over the status class
    ],
)
def test_classify(status: int, origin: str | None, expected: str) -> None:
    assert classify(status, origin) == expected


def test_percentiles_from_the_histogram_are_within_its_resolution() -> None:
    rng = random.Random(3)
    samples = [rng.lognormvariate(2.0, 0.8) for _ in range(5000)]
    tally = Tally()
    for sample in samples:
        tally.add(OK, sample)
    ordered = sorted(samples)
    for q, estimate in ((0.5, tally.percentile_ms(0.5)), (0.95, tally.percentile_ms(0.95))):
        exact = ordered[int(q * len(ordered))]
        assert estimate == pytest.approx(exact, rel=0.12)
    counters = tally.to_counters()
    assert counters.latency_p99_ms == tally.percentile_ms(0.99)
    assert counters.latency_p95_ms is not None and counters.latency_p99_ms > counters.latency_p95_ms
    assert Tally().percentile_ms(0.5) is None
    huge = Tally()
    huge.add(OK, 10_000_000.0)  # beyond the last bucket: still counted, never an index error
    assert huge.percentile_ms(0.5) is not None


def test_store_merges_flushes_and_reads_since(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    EndpointState(path, "toy")
    store = CounterStore(path)
    buffer = CounterBuffer()
    buffer.record("v1", OK, 5.0, at=100.2)
    buffer.record("v1", CLIENT_ERROR, 6.0, at=100.7)
    buffer.record("v2", MODEL_ERROR, None, at=101.0)  # a crash: no latency
    store.add(buffer.drain())
    buffer.record("v1", OK, 7.0, at=100.9)  # a second flush into the same second adds up
    buffer.record("v1", OK, 8.0, at=103.0)
    store.add(buffer.drain())
    assert buffer.drain() == {}

    everything = CounterStore(path).read(variants=["v3"])  # a new reader sees it all
    v1 = everything["v1"]
    assert (v1.requests, v1.ok, v1.client_errors, v1.model_errors) == (4, 3, 1, 0)
    assert everything["v2"].model_errors == 1 and everything["v2"].latency_p50_ms is None
    assert everything["v3"].requests == 0
    assert store.read(since=101.5)["v1"].requests == 1  # buckets from second 101 on
    store.prune(older_than=103)
    assert store.read()["v1"].requests == 1 and "v2" not in store.read()


def test_a_failed_flush_keeps_the_batch(tmp_path: Path) -> None:
    buffer = CounterBuffer()
    buffer.record("v1", OK, 1.0, at=5)
    batch = buffer.drain()
    buffer.record("v1", OK, 1.0, at=5)
    buffer.restore(batch)
    assert buffer.drain()[("v1", 5)].requests == 2


def test_every_routing_change_bumps_the_generation(tmp_path: Path) -> None:
    state = EndpointState(tmp_path / "state.db", "toy")
    start = state.generation()
    state.put_variant(VariantRecord("v1", 1, tmp_path, 1.0, 8081, None, None))
    state.set_weights({"v1": 2.0})
    generation, routes = state.routes()
    assert generation == start + 2
    assert [(r.name, r.weight, r.url) for r in routes] == [("v1", 2.0, "http://127.0.0.1:8081")]
    assert state.delete_variant("v1") == start + 3
    assert EndpointState(tmp_path / "state.db").name() == "toy"
