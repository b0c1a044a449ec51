"""Prometheus metrics of one server, in their own registry (never the process-global one, so
several apps in one process — tests, the benchmark — do not mix their numbers).

With several workers, ``run_server`` sets ``PROMETHEUS_MULTIPROC_DIR`` before starting them:
prometheus-client then keeps every worker's values in files there, and whichever worker answers
a scrape adds them all up (its multiprocess mode), so ``/metrics`` describes the whole server.
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# From 100 µs (a trivial model) to 10 s (a model stuck on something).
LATENCY_BUCKETS = (
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0,
)  # fmt: skip
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class ServingMetrics:
    def __init__(self, model: str, version: str | None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.invocations = Counter(
            "stainless_invocations",
            "POST /invocations answered, by status class (2xx/4xx/5xx) and error origin "
            "(none, client, model, response).",
            ["status_class", "origin"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "stainless_invocation_duration_seconds",
            "Time from the request arriving to the response being handed to the server.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.validation_failures = Counter(
            "stainless_validation_failures",
            "Schema violations: kind=request (the caller's, a 4xx) or kind=response "
            "(the model's answer broke the response schema, a 5xx).",
            ["kind"],
            registry=self.registry,
        )
        self.capture = Counter(
            "stainless_capture_records",
            "Data capture: request/response pairs queued, written, dropped (queue full) or "
            "failed (store error).",
            ["outcome"],
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "stainless_batch_size",
            "Requests per call of the model's batch function (adaptive batching).",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        info = Gauge(
            "stainless_model_info",
            "The model this server serves (always 1).",
            ["model", "version"],
            registry=self.registry,
            multiprocess_mode="max",  # every worker says 1: the sum would count workers
        )
        info.labels(model, version or "unknown").set(1)
        # Label children bound once: the success path then costs two lock-free-ish increments.
        self.ok = self.invocations.labels("2xx", "none")
        self.request_invalid = self.validation_failures.labels("request")
        self.response_invalid = self.validation_failures.labels("response")
        for outcome in ("queued", "written", "dropped", "failed"):
            self.capture.labels(outcome)
        for kind in ("request", "response"):
            self.validation_failures.labels(kind)

    def error(self, status: int, origin: str) -> None:
        self.invocations.labels(f"{status // 100}xx", origin).inc()

    def render(self) -> bytes:
        directory = os.environ.get(MULTIPROC_ENV)
        if not directory:
            return generate_latest(self.registry)
        merged = CollectorRegistry()
        MultiProcessCollector(merged, path=directory)
        return generate_latest(merged)
