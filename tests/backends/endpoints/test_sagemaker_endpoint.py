"""The SageMaker endpoint against a real moto server (boto3 over HTTP). moto implements create /
describe / delete and update_endpoint_weights_and_capacities, and CloudWatch sums, but not
update_endpoint (adding or removing a variant) nor percentile statistics; the endpoint config
those build is checked as data."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from stainless.backends.endpoints import VariantSpec, open_endpoint
from stainless.backends.endpoints.sagemaker import SageMakerEndpoint, config_variants, model_name
from stainless.core.errors import BackendError
from support.moto_server import moto_server

pytestmark = pytest.mark.integration
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/house-prices:abc123"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[SageMakerEndpoint]:
    with moto_server(monkeypatch):
        opened = open_endpoint(f"sagemaker://?role={ROLE}&image={IMAGE}", Path("."), "houses")
        assert isinstance(opened, SageMakerEndpoint)
        opened.poll_s = 0.05
        yield opened


def spec(name: str, version: int, weight: float) -> VariantSpec:
    return VariantSpec(
        name,
        version,
        Path("/unused"),
        weight,
        model_data=f"s3://artifacts/houses/runs/r{version}/model.tar.gz",
    )


def test_create_weigh_count_delete(endpoint: SageMakerEndpoint) -> None:
    assert endpoint.status().running is False
    status = endpoint.up(spec("v1", 1, 1.0))
    assert status.running and status.url == "https://runtime.sagemaker.us-east-1.amazonaws.com"
    assert [(v.name, v.version, v.weight, v.healthy) for v in status.variants] == [
        ("v1", 1, 1.0, True)
    ]
    assert endpoint.up(None).running  # idempotent: the existing endpoint is left alone

    model = endpoint.sagemaker.describe_model(ModelName=model_name("houses", "v1", 1))
    assert model["PrimaryContainer"]["Image"] == IMAGE
    assert model["PrimaryContainer"]["ModelDataUrl"].endswith("r1/model.tar.gz")

    endpoint.set_weights({"v1": 0.25})
    assert endpoint.status().variants[0].weight == 0.25

    now = datetime.now(UTC)
    dims = [{"Name": "EndpointName", "Value": "houses"}, {"Name": "VariantName", "Value": "v1"}]
    boto3.client("cloudwatch").put_metric_data(
        Namespace="AWS/SageMaker",
        MetricData=[
            {"MetricName": name, "Dimensions": dims, "Timestamp": now, "Value": value}
            for name, value in (
                ("Invocations", 10),
                ("Invocation4XXErrors", 2),
                ("Invocation5XXErrors", 1),
                ("Invocations", 5),
            )
        ],
    )
    counted = endpoint.counters(since=now.timestamp() - 60)["v1"]
    assert (counted.requests, counted.ok, counted.client_errors, counted.model_errors) == (
        15,
        12,
        2,
        1,
    )

    endpoint.down()
    assert endpoint.status().running is False and endpoint.status().variants == []
    endpoint.down()  # already gone: nothing to do


def test_data_capture_goes_to_the_monitored_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_server(monkeypatch):
        uri = (
            f"sagemaker://?role={ROLE}&image={IMAGE}"
            "&capture=s3://artifacts/houses/capture/houses&capture_percent=20"
        )
        opened = open_endpoint(uri, Path("."), "houses")
        assert isinstance(opened, SageMakerEndpoint)
        opened.poll_s = 0.05
        opened.up(spec("v1", 1, 1.0))
        described = opened.sagemaker.describe_endpoint(EndpointName="houses")
        config = opened.sagemaker.describe_endpoint_config(
            EndpointConfigName=described["EndpointConfigName"]
        )
        capture = config["DataCaptureConfig"]
        assert capture["DestinationS3Uri"] == "s3://artifacts/houses/capture/houses"
        assert capture["InitialSamplingPercentage"] == 20 and capture["EnableCapture"]
        opened.down()


def test_errors_say_what_to_configure(endpoint: SageMakerEndpoint) -> None:
    with pytest.raises(BackendError, match="no model.tar.gz on S3"):
        endpoint.up(VariantSpec("v1", 1, Path("/local"), 1.0))
    with pytest.raises(BackendError, match="does not exist"):
        endpoint.up(None)
    endpoint.role = None
    with pytest.raises(BackendError, match="STAINLESS_SAGEMAKER_ROLE"):
        endpoint.up(spec("v1", 1, 1.0))


def test_next_config_keeps_current_weights_and_adds_or_removes() -> None:
    current = [
        {
            "VariantName": "v1",
            "ModelName": "m1",
            "InstanceType": "ml.m5.large",
            "InitialInstanceCount": 1,
            "InitialVariantWeight": 1.0,
        }
    ]
    added = config_variants(
        current, {"v1": 0.9}, add={"VariantName": "v2", "InitialVariantWeight": 0.1}
    )
    assert [(v["VariantName"], v["InitialVariantWeight"]) for v in added] == [
        ("v1", 0.9),
        ("v2", 0.1),
    ]
    assert [v["VariantName"] for v in config_variants(added, {}, remove="v1")] == ["v2"]
    assert len(model_name("x" * 80, "v12", 12)) == 63
