"""stainless.serving.metrics: what one server exposes on /metrics, in its own registry (the
multi-worker sum runs through real workers in tests/serving/test_server.py)."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families
from stainless.serving.metrics import MULTIPROC_ENV, ServingMetrics


def samples(metrics: ServingMetrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics.render().decode())
        for sample in family.samples
    }


def test_answers_are_counted_by_status_class_and_origin(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    metrics = ServingMetrics("house-prices", "3")
    metrics.ok.inc()
    metrics.ok.inc()
    metrics.error(503, "model")
    metrics.error(422, "client")
    metrics.request_invalid.inc()
    metrics.latency.observe(0.003)
    found = samples(metrics)
    invocations = "stainless_invocations_total"
    assert found[(invocations, (("origin", "none"), ("status_class", "2xx")))] == 2
    assert found[(invocations, (("origin", "model"), ("status_class", "5xx")))] == 1
    assert found[(invocations, (("origin", "client"), ("status_class", "4xx")))] == 1
    assert found[("stainless_validation_failures_total", (("kind", "request"),))] == 1
    assert found[("stainless_invocation_duration_seconds_count", ())] == 1
    assert found[("stainless_model_info", (("model", "house-prices"), ("version", "3")))] == 1


def test_every_series_a_dashboard_reads_exists_before_its_first_event():
    found = samples(ServingMetrics("house-prices", None))
    for outcome in ("queued", "written", "dropped", "failed"):
        assert found[("stainless_capture_records_total", (("outcome", outcome),))] == 0
    assert found[("stainless_validation_failures_total", (("kind", "response"),))] == 0
    assert ("stainless_model_info", (("model", "house-prices"), ("version", "unknown"))) in found


def test_two_servers_in_one_process_keep_their_own_numbers():
    first, second = ServingMetrics("a", "1"), ServingMetrics("b", "1")
    first.ok.inc()
    key = ("stainless_invocations_total", (("origin", "none"), ("status_class", "2xx")))
    assert samples(first)[key] == 1 and samples(second)[key] == 0
