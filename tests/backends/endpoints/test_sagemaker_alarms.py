"""The SLO alarms of SageMaker variants against a real moto server's CloudWatch (boto3 over
HTTP): what is created, that putting them again changes nothing, that the settings reconcile
(alarms no longer wanted go), and that one variant's alarms never touch another's. The endpoint
driving them at deploy and retirement is tested in test_sagemaker.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from stainless.backends.endpoints import SloAlarms
from stainless.backends.endpoints.sagemaker_alarms import VariantAlarms
from stainless.core.errors import BackendError
from support.moto_server import moto_server

pytestmark = pytest.mark.integration
TOPIC = "arn:aws:sns:us-east-1:123456789012:ml-oncall"


def _error(operation: str, exc: Exception) -> BackendError:
    return BackendError(f"{operation} failed: {exc}")


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with moto_server(monkeypatch):
        yield boto3.client("cloudwatch")


def names(client: Any) -> list[str]:
    answer = client.describe_alarms(AlarmTypes=["MetricAlarm", "CompositeAlarm"])
    return sorted(a["AlarmName"] for a in answer["MetricAlarms"] + answer["CompositeAlarms"])


def test_register_reconciles_and_deregister_deletes(cloudwatch: Any) -> None:
    slo = SloAlarms(error_rate=0.002, latency_p95_ms=None, min_requests=25, alarm_actions=(TOPIC,))
    alarms = VariantAlarms(cloudwatch, "houses", slo, _error)
    alarms.register("v1")
    alarms.register("v10")  # a name that starts like v1's: never confused with it
    first = names(cloudwatch)
    assert len(first) == 18 and all(n.startswith("stainless-houses-v1") for n in first)
    metric = cloudwatch.describe_alarms(AlarmNames=["stainless-houses-v1-errors-6h-30min-short"])
    [short] = metric["MetricAlarms"]
    assert short["Threshold"] == pytest.approx(6 * 0.002)
    [rate] = [q for q in short["Metrics"] if q["Id"] == "error_rate"]
    assert rate["Expression"] == "IF(requests >= 25, errors / requests, 0)"
    assert {q["MetricStat"]["Period"] for q in short["Metrics"] if "MetricStat" in q} == {1800}
    # The workbook's 3-day window is one 3-day period: CloudWatch allows 7 days at periods >= 1 h.
    metric = cloudwatch.describe_alarms(AlarmNames=["stainless-houses-v1-errors-3d-6h-long"])
    [long] = metric["MetricAlarms"]
    assert {q["MetricStat"]["Period"] for q in long["Metrics"] if "MetricStat" in q} == {259200}
    assert long["EvaluationPeriods"] == 1

    alarms.register("v1")  # again: updated in place, nothing added
    assert names(cloudwatch) == first

    # A latency objective appears: three more alarms for the variant registered again.
    with_latency = VariantAlarms(
        cloudwatch, "houses", SloAlarms(0.002, 150.0, 25, (TOPIC,)), _error
    )
    with_latency.register("v1")
    latency = [n for n in names(cloudwatch) if "latency" in n]
    assert latency == [
        "stainless-houses-v1-latency-p95",
        "stainless-houses-v1-latency-p95-1h",
        "stainless-houses-v1-latency-p95-5min",
    ]
    [composite] = cloudwatch.describe_alarms(
        AlarmNames=["stainless-houses-v1-latency-p95"], AlarmTypes=["CompositeAlarm"]
    )["CompositeAlarms"]
    assert composite["AlarmRule"] == (
        'ALARM("stainless-houses-v1-latency-p95-1h") AND '
        'ALARM("stainless-houses-v1-latency-p95-5min")'
    )
    assert composite["AlarmActions"] == [TOPIC] and "150 ms" in composite["AlarmDescription"]
    # ... and goes again when the objective is dropped.
    alarms.register("v1")
    assert names(cloudwatch) == first

    # Objectives off: registering deletes the variant's alarms; deregistering the other's
    # removes the rest, whatever the settings now say.
    VariantAlarms(cloudwatch, "houses", None, _error).register("v1")
    assert all(n.startswith("stainless-houses-v10-") for n in names(cloudwatch))
    VariantAlarms(cloudwatch, "houses", None, _error).deregister("v10")
    assert names(cloudwatch) == []
    alarms.deregister("v10")  # nothing there: fine


def test_cloudwatch_failures_name_the_operation(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.config import Config

    with moto_server(monkeypatch) as url:
        pass  # stopped: its port now refuses connections
    client = boto3.client(
        "cloudwatch", endpoint_url=url, config=Config(retries={"max_attempts": 1})
    )
    alarms = VariantAlarms(client, "houses", SloAlarms(0.001), _error)
    with pytest.raises(BackendError, match="put_metric_alarm failed"):
        alarms.register("v1")
