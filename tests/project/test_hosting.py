"""What model.yaml says about hosting, as the endpoint backend receives it."""

from __future__ import annotations

from pathlib import Path

import pytest
from stainless.backends.endpoints import Autoscaling, DataCapture, EndpointSettings, SloAlarms
from stainless.core.errors import ConfigError
from stainless.project.config import config_from_mapping
from stainless.project.hosting import endpoint_settings

AWS = {
    "store": "s3://acme/house-prices",
    "registry": "sagemaker://house-prices",
    "endpoint": "sagemaker://house-prices",
}


def aws_config(**changes: object):
    document = {
        "name": "house-prices",
        "owner": "jane",
        "target": "price",
        "metric": "rmse",
        "resources": {"serve": {"cpus": 2, "memory_gb": 12}},
        "environments": {"aws": dict(AWS)},
        **changes,
    }
    return config_from_mapping(document, Path("/p"), env="aws")


def test_sagemaker_settings_come_from_resources_serve_hosting_and_serving() -> None:
    settings = endpoint_settings(
        aws_config(
            hosting={"instance_count": 2, "autoscaling": {"max_instances": 6}},
            serving={"capture_sample_rate": 0.001},
        )
    )
    assert settings == EndpointSettings(
        instance_type="ml.r5.large",  # 2 vCPUs and 12 GiB: the cheapest endpoint type that fits
        instance_count=2,
        autoscaling=Autoscaling(1, 6, 600.0, 300, 60),
        # SageMaker samples in whole percent: a small positive rate keeps 1 %.
        data_capture=DataCapture("s3://acme/house-prices/datacapture", 1),
        container_env={"STAINLESS_ENV": "aws", "STAINLESS_CAPTURE": "off"},
        # monitoring.slo's defaults: CloudWatch alarms at 0.1 % errors, no latency objective.
        slo=SloAlarms(error_rate=0.001, latency_p95_ms=None, min_requests=10),
    )


def test_options_turn_scaling_and_sagemaker_capture_off() -> None:
    settings = endpoint_settings(
        aws_config(
            hosting={"autoscaling": {"enabled": False}, "data_capture": "server"},
            resources={"serve": {"instance_type": "ml.g5.xlarge"}},
        )
    )
    assert settings.instance_type == "ml.g5.xlarge"
    assert settings.autoscaling is None and settings.data_capture is None
    assert settings.container_env == {"STAINLESS_ENV": "aws"}  # the server captures itself
    assert endpoint_settings(aws_config(serving={"capture_sample_rate": 0})).data_capture is None


def test_the_local_endpoint_gets_no_cloud_settings() -> None:
    local = config_from_mapping(
        {"name": "house-prices", "owner": "j", "target": "p", "metric": "rmse"}, Path("/p")
    )
    assert endpoint_settings(local) == EndpointSettings()


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"hosting": {"autoscaling": {"min_instances": 3, "max_instances": 2}}}, "max_instances"),
        ({"hosting": {"instance_count": 5}}, "hosting.instance_count"),
        (
            {"environments": {"aws": {**AWS, "store": "file://.stainless/store"}}},
            "environments.aws.store",
        ),
    ],
)
def test_inconsistent_hosting_names_the_key(changes: dict, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        endpoint_settings(aws_config(**changes))
    assert key in caught.value.render() and "Fix:" in caught.value.render()
