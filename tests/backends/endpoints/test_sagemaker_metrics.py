"""A SageMaker variant's traffic read from CloudWatch, against a real moto server: sums of the
per-variant metrics SageMaker publishes, and a refusal handed to the endpoint's error."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from stainless.backends.endpoints.sagemaker_metrics import NAMESPACE, variant_counters
from stainless.core.errors import BackendError
from support.moto_server import moto_server

pytestmark = pytest.mark.integration


def error(operation: str, exc: Exception) -> BackendError:
    return BackendError(f"CloudWatch {operation} failed: {exc}", key="endpoint")


def dimensions(variant: str) -> list[dict[str, str]]:
    return [{"Name": "EndpointName", "Value": "houses"}, {"Name": "VariantName", "Value": variant}]


def test_requests_and_errors_of_one_variant_in_the_window(monkeypatch: pytest.MonkeyPatch):
    now = datetime.now(UTC)
    window = (now - timedelta(minutes=5), now + timedelta(minutes=1), 60)
    with moto_server(monkeypatch):
        cloudwatch = boto3.client("cloudwatch")
        data = [
            ("v1", "Invocations", 40), ("v1", "Invocations", 10), ("v1", "Invocation4XXErrors", 3),
            ("v1", "Invocation5XXErrors", 2), ("v2", "Invocations", 7),
        ]  # fmt: skip
        cloudwatch.put_metric_data(
            Namespace=NAMESPACE,
            MetricData=[
                {
                    "MetricName": name,
                    "Dimensions": dimensions(variant),
                    "Timestamp": now,
                    "Value": value,
                }
                for variant, name, value in data
            ],  # fmt: skip
        )
        v1 = variant_counters(cloudwatch, "houses", "v1", window, error)
        assert (v1.requests, v1.ok, v1.client_errors, v1.model_errors) == (50, 45, 3, 2)
        assert variant_counters(cloudwatch, "houses", "v2", window, error).requests == 7
        none = variant_counters(cloudwatch, "houses", "v3", window, error)
        assert (none.requests, none.ok, none.latency_p95_ms) == (0, 0, None)


def test_a_failing_call_becomes_the_endpoints_error(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    from botocore.config import Config

    cloudwatch = boto3.client(
        "cloudwatch",
        region_name="us-east-1",
        endpoint_url="http://127.0.0.1:9",  # nobody answers
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    now = datetime.now(UTC)
    with pytest.raises(BackendError, match="CloudWatch get_metric_statistics failed"):
        variant_counters(cloudwatch, "houses", "v1", (now - timedelta(minutes=5), now, 60), error)
