"""A SageMaker endpoint's variants scaling (Application Auto Scaling of a real moto server) and
capturing data (the endpoint config's DataCaptureConfig)."""

from __future__ import annotations

import boto3
import pytest
from stainless.backends.endpoints import Autoscaling, DataCapture
from stainless.backends.endpoints.sagemaker_scaling import (
    SCALING_DIMENSION,
    SCALING_METRIC,
    SCALING_NAMESPACE,
    VariantScaling,
    data_capture_config,
    scaling_resource_id,
)
from stainless.core.errors import BackendError
from support.moto_server import moto_server

pytestmark = pytest.mark.integration


def error(operation: str, exc: Exception) -> BackendError:
    return BackendError(f"Application Auto Scaling {operation} failed: {exc}", key="hosting")


def targets(client) -> dict[str, tuple[int, int]]:
    found = client.describe_scalable_targets(ServiceNamespace=SCALING_NAMESPACE)
    return {t["ResourceId"]: (t["MinCapacity"], t["MaxCapacity"]) for t in found["ScalableTargets"]}


def test_a_variant_is_registered_updated_and_deregistered(monkeypatch: pytest.MonkeyPatch):
    with moto_server(monkeypatch):
        client = boto3.client("application-autoscaling")
        scaling = VariantScaling(client, "houses", Autoscaling(1, 4, 600.0), error)
        scaling.register("v1")
        resource = scaling_resource_id("houses", "v1")
        assert resource == "endpoint/houses/variant/v1"
        assert targets(client) == {resource: (1, 4)}
        [policy] = client.describe_scaling_policies(ServiceNamespace=SCALING_NAMESPACE)[
            "ScalingPolicies"
        ]
        tracking = policy["TargetTrackingScalingPolicyConfiguration"]
        assert policy["ScalableDimension"] == SCALING_DIMENSION
        assert tracking["TargetValue"] == 600.0
        assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == SCALING_METRIC

        # Registering again updates (new settings in model.yaml).
        VariantScaling(client, "houses", Autoscaling(2, 6, 300.0), error).register("v1")
        assert targets(client) == {resource: (2, 6)}

        # Autoscaling off now: registering does nothing, deregistering still removes it, twice.
        off = VariantScaling(client, "houses", None, error)
        off.register("v2")
        off.deregister("v1")
        off.deregister("v1")
        assert targets(client) == {}


def test_data_capture_records_requests_and_responses_as_json():
    config = data_capture_config(DataCapture("s3://bucket/capture", 5))
    assert config["EnableCapture"] and config["InitialSamplingPercentage"] == 5
    assert config["DestinationS3Uri"] == "s3://bucket/capture"
    assert [mode["CaptureMode"] for mode in config["CaptureOptions"]] == ["Input", "Output"]
    assert "application/json" in config["CaptureContentTypeHeader"]["JsonContentTypes"]
