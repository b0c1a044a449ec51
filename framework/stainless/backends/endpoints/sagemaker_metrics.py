"""A SageMaker variant's traffic, from the CloudWatch metrics SageMaker publishes per variant
(``AWS/SageMaker``: one-minute resolution, a few minutes late)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from stainless.backends.endpoints import VariantCounters
from stainless.core.errors import BackendError

NAMESPACE = "AWS/SageMaker"


def variant_counters(
    cloudwatch: Any,
    endpoint: str,
    variant: str,
    window: tuple[datetime, datetime, int],
    error: Callable[[str, Exception], BackendError],
) -> VariantCounters:
    """Requests, errors and latency of ``variant`` over ``window`` (start, end, period s)."""

    def metric(name: str, **statistics: Any) -> list[dict[str, Any]]:
        start, end, period = window
        try:
            answer = cloudwatch.get_metric_statistics(
                Namespace=NAMESPACE,
                MetricName=name,
                StartTime=start,
                EndTime=end,
                Period=period,
                Dimensions=[
                    {"Name": "EndpointName", "Value": endpoint},
                    {"Name": "VariantName", "Value": variant},
                ],
                **statistics,
            )
        except Exception as exc:
            raise error("get_metric_statistics", exc) from exc
        return list(answer.get("Datapoints", []))

    def total(name: str) -> int:
        return int(sum(point.get("Sum", 0.0) for point in metric(name, Statistics=["Sum"])))

    requests = total("Invocations")
    client, model = total("Invocation4XXErrors"), total("Invocation5XXErrors")
    latency = metric("ModelLatency", ExtendedStatistics=["p50", "p95", "p99"])
    extended = latency[0].get("ExtendedStatistics", {}) if latency else {}
    # ModelLatency is in microseconds.
    p50, p95, p99 = extended.get("p50"), extended.get("p95"), extended.get("p99")
    return VariantCounters(
        requests=requests,
        ok=max(0, requests - client - model),
        client_errors=client,
        model_errors=model,
        latency_p50_ms=None if p50 is None else round(p50 / 1000, 3),
        latency_p95_ms=None if p95 is None else round(p95 / 1000, 3),
        latency_p99_ms=None if p99 is None else round(p99 / 1000, 3),
    )
