"""The SageMaker endpoint against a real moto server (boto3 over HTTP). moto implements create /
describe / delete and update_endpoint_weights_and_capacities, and CloudWatch sums, but not
update_endpoint (adding or removing a variant) nor percentile statistics: those paths run through
botocore's Stubber, which validates every request and answer against the real service model."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from stainless.backends.endpoints import (
    Autoscaling,
    DataCapture,
    EndpointSettings,
    SloAlarms,
    VariantSpec,
    open_endpoint,
)
from stainless.backends.endpoints.sagemaker import SageMakerEndpoint, config_variants, model_name
from stainless.core.errors import BackendError
from support.moto_server import moto_server

pytestmark = pytest.mark.integration
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
TOPIC = "arn:aws:sns:us-east-1:123456789012:ml-oncall"
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


# -- hosting: instance settings, autoscaling, data capture -------------------------------------
SETTINGS = EndpointSettings(
    instance_type="ml.c5.xlarge",
    instance_count=2,
    autoscaling=Autoscaling(
        min_instances=1,
        max_instances=5,
        invocations_per_instance=250.0,
        scale_in_cooldown_s=400,
        scale_out_cooldown_s=45,
    ),
    data_capture=DataCapture("s3://artifacts/houses/datacapture", 5),
    container_env={"STAINLESS_ENV": "aws", "STAINLESS_CAPTURE": "off"},
    slo=SloAlarms(error_rate=0.001, min_requests=10, alarm_actions=(TOPIC,)),
)


@pytest.fixture
def hosted(monkeypatch: pytest.MonkeyPatch) -> Iterator[SageMakerEndpoint]:
    with moto_server(monkeypatch):
        opened = open_endpoint(
            f"sagemaker://houses?role={ROLE}&image={IMAGE}", Path("."), "model-name", SETTINGS
        )
        assert isinstance(opened, SageMakerEndpoint)
        opened.poll_s = 0.01
        yield opened


def scaling_of(endpoint: SageMakerEndpoint) -> dict[str, tuple[int, int, float, str]]:
    """variant -> (min, max, target value, metric) as Application Auto Scaling (moto) has it."""
    client = boto3.client("application-autoscaling")
    targets = client.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    policies = {
        p["ResourceId"]: p["TargetTrackingScalingPolicyConfiguration"]
        for p in client.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    }
    found = {}
    for target in targets:
        assert target["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
        _, endpoint_name, _, variant = target["ResourceId"].split("/")
        assert endpoint_name == endpoint.name
        policy = policies[target["ResourceId"]]
        found[variant] = (
            target["MinCapacity"],
            target["MaxCapacity"],
            policy["TargetValue"],
            policy["PredefinedMetricSpecification"]["PredefinedMetricType"],
        )
    return found


def test_up_hosts_with_the_settings_scales_and_captures(hosted: SageMakerEndpoint) -> None:
    assert hosted.name == "houses"  # the URI names the endpoint
    hosted.up(spec("v1", 1, 1.0))
    described = hosted.sagemaker.describe_endpoint(EndpointName="houses")
    config = hosted.sagemaker.describe_endpoint_config(
        EndpointConfigName=described["EndpointConfigName"]
    )
    [variant] = config["ProductionVariants"]
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.c5.xlarge", 2)
    capture = config["DataCaptureConfig"]
    assert capture["EnableCapture"] is True
    assert capture["InitialSamplingPercentage"] == 5
    assert capture["DestinationS3Uri"] == "s3://artifacts/houses/datacapture"
    assert {o["CaptureMode"] for o in capture["CaptureOptions"]} == {"Input", "Output"}
    model = hosted.sagemaker.describe_model(ModelName=model_name("houses", "v1", 1))
    assert model["PrimaryContainer"]["Environment"] == {
        "STAINLESS_ENV": "aws",
        "STAINLESS_CAPTURE": "off",
        "STAINLESS_MODEL_VERSION": "1",
    }
    assert scaling_of(hosted) == {"v1": (1, 5, 250.0, "SageMakerVariantInvocationsPerInstance")}
    policy = boto3.client("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="sagemaker"
    )["ScalingPolicies"][0]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    tracking = policy["TargetTrackingScalingPolicyConfiguration"]
    assert (tracking["ScaleInCooldown"], tracking["ScaleOutCooldown"]) == (400, 45)

    # A lost registration is repaired by up(), which is otherwise idempotent.
    boto3.client("application-autoscaling").deregister_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/houses/variant/v1",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
    )
    hosted.up(None)
    assert set(scaling_of(hosted)) == {"v1"}

    hosted.down()
    assert scaling_of(hosted) == {}


def test_uri_overrides_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_server(monkeypatch):
        opened = open_endpoint(
            "sagemaker://?instance_type=ml.m5.xlarge&instance_count=3", Path("."), "x", SETTINGS
        )
        assert isinstance(opened, SageMakerEndpoint)
        assert (opened.name, opened.instance_type, opened.instance_count) == (
            "x",
            "ml.m5.xlarge",
            3,
        )
        with pytest.raises(BackendError, match="instance_count must be a whole number"):
            open_endpoint("sagemaker://?instance_count=0", Path("."), "x")


def test_scaling_is_carried_across_adding_and_removing_variants(
    hosted: SageMakerEndpoint,
) -> None:
    """moto has no update_endpoint: the SageMaker client is driven through botocore's Stubber
    (every request validated against the real service model) from moto's own answers, while
    Application Auto Scaling stays the moto server. A hook on update_endpoint enforces what
    SageMaker does: an update that drops a variant still registered as a scalable target fails."""
    from botocore.stub import Stubber

    hosted.up(spec("v1", 1, 1.0))
    sagemaker = hosted.sagemaker
    before = strip(sagemaker.describe_endpoint(EndpointName="houses"))
    config_1 = strip(
        sagemaker.describe_endpoint_config(EndpointConfigName=before["EndpointConfigName"])
    )
    # moto echoes the config's DataCaptureConfig; the API answers with its summary shape.
    before["DataCaptureConfig"] = {
        "EnableCapture": True,
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": 5,
        "DestinationS3Uri": "s3://artifacts/houses/datacapture",
        "KmsKeyId": "",
    }
    # Autoscaling moved v1 to 3 instances since its config was made.
    before["ProductionVariants"][0].update(CurrentInstanceCount=3, DesiredInstanceCount=3)

    def refuse_registered_removals(params: dict, **_: object) -> None:
        kept = {v["VariantName"] for v in created[params["EndpointConfigName"]]}
        still = set(scaling_of(hosted)) - kept
        assert not still, f"update_endpoint would fail: {still} still registered"

    created: dict[str, list[dict]] = {}

    def remember_config(params: dict, **_: object) -> None:
        created[params["EndpointConfigName"]] = params["ProductionVariants"]

    sagemaker.meta.events.register(
        "provide-client-params.sagemaker.CreateEndpointConfig", remember_config
    )
    sagemaker.meta.events.register(
        "provide-client-params.sagemaker.UpdateEndpoint", refuse_registered_removals
    )
    capture = config_1["DataCaptureConfig"]
    v2_model = model_name("houses", "v2", 2)
    both = {
        **before,
        "EndpointConfigName": "houses-2",
        "EndpointStatus": "InService",
        "ProductionVariants": [
            {**before["ProductionVariants"][0], "CurrentWeight": 0.9},
            {
                "VariantName": "v2",
                "CurrentWeight": 0.1,
                "CurrentInstanceCount": 2,
                "DesiredInstanceCount": 2,
            },
        ],
    }
    variant_1 = {
        "VariantName": "v1",
        "ModelName": model_name("houses", "v1", 1),
        "InstanceType": "ml.c5.xlarge",
        "InitialVariantWeight": 1.0,
    }
    variant_2 = {
        "VariantName": "v2",
        "ModelName": v2_model,
        "InstanceType": "ml.c5.xlarge",
        "InitialInstanceCount": 2,
        "InitialVariantWeight": 0.1,
    }
    with Stubber(sagemaker) as stub:
        # add v2
        stub.add_response("describe_endpoint", before, {"EndpointName": "houses"})
        stub.add_response(
            "describe_endpoint_config",
            config_1,
            {"EndpointConfigName": before["EndpointConfigName"]},
        )
        stub.add_response(
            "create_model",
            {"ModelArn": f"arn:aws:sagemaker:us-east-1:123456789012:model/{v2_model}"},
            {
                "ModelName": v2_model,
                "ExecutionRoleArn": ROLE,
                "PrimaryContainer": {
                    "Image": IMAGE,
                    "ModelDataUrl": "s3://artifacts/houses/runs/r2/model.tar.gz",
                    "Environment": {**SETTINGS.container_env, "STAINLESS_MODEL_VERSION": "2"},
                },
            },
        )
        # v1 keeps its live weight and its scaled-out count; v2 starts at the setting.
        variants = [{**variant_1, "InitialInstanceCount": 3, "InitialVariantWeight": 1.0}]
        expect_new_config(stub, before, [*variants, variant_2], capture, then=both)
        hosted.add_variant(spec("v2", 2, 0.1))
        assert set(scaling_of(hosted)) == {"v1", "v2"}
        assert set(alarms_of(hosted)) == {"v1", "v2"}  # the candidate is watched from deploy on

        # remove v1: deregistered first (the hook above checks), then the update
        config_2 = {
            **config_1,
            "EndpointConfigName": "houses-2",
            "ProductionVariants": [{**variant_1, "InitialInstanceCount": 3}, variant_2],
        }
        only_v2 = {
            **both,
            "EndpointConfigName": "houses-3",
            "ProductionVariants": [{**both["ProductionVariants"][1], "CurrentWeight": 1.0}],
        }
        both_at_4 = {**both}
        both_at_4["ProductionVariants"] = [
            both["ProductionVariants"][0],
            {**both["ProductionVariants"][1], "DesiredInstanceCount": 4},
        ]
        stub.add_response("describe_endpoint", both_at_4, {"EndpointName": "houses"})
        stub.add_response("describe_endpoint_config", config_2, {"EndpointConfigName": "houses-2"})
        variants = [{**variant_2, "InitialInstanceCount": 4}]
        expect_new_config(stub, before, variants, capture, then=only_v2)
        hosted.remove_variant("v1")
        stub.assert_no_pending_responses()
    assert scaling_of(hosted) == {"v2": (1, 5, 250.0, "SageMakerVariantInvocationsPerInstance")}
    assert set(alarms_of(hosted)) == {"v2"}  # the retired variant's alarms are gone


def expect_new_config(
    stub: Any, before: dict, variants: list[dict], capture: dict, then: dict
) -> None:
    """The Stubber's side of a variant change: a new endpoint config with exactly ``variants``,
    the update_endpoint onto it, and the endpoint described as ``then`` afterwards."""
    from botocore.stub import ANY

    stub.add_response(
        "create_endpoint_config",
        {"EndpointConfigArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/next"},
        {"EndpointConfigName": ANY, "ProductionVariants": variants, "DataCaptureConfig": capture},
    )
    stub.add_response(
        "update_endpoint",
        {"EndpointArn": before["EndpointArn"]},
        {"EndpointName": "houses", "EndpointConfigName": ANY, "RetainAllVariantProperties": False},
    )
    stub.add_response("describe_endpoint", then, {"EndpointName": "houses"})


def strip(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


# -- SLO alarms in CloudWatch ------------------------------------------------------------------
def alarms_of(endpoint: SageMakerEndpoint) -> dict[str, dict[str, dict]]:
    """variant -> alarm name (without the endpoint's prefix) -> alarm, as CloudWatch has them."""
    answer = boto3.client("cloudwatch").describe_alarms(
        AlarmNamePrefix=f"stainless-{endpoint.name}-", AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    )
    found: dict[str, dict[str, dict]] = {}
    for alarm in answer["MetricAlarms"] + answer["CompositeAlarms"]:
        variant, name = alarm["AlarmName"].removeprefix(f"stainless-{endpoint.name}-").split("-", 1)
        found.setdefault(variant, {})[name] = alarm
    return found


def test_slo_alarms_are_created_at_deploy_and_deleted_with_the_endpoint(
    hosted: SageMakerEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    hosted.up(spec("v1", 1, 1.0))
    alarms = alarms_of(hosted)["v1"]
    assert sorted(alarms) == [
        "errors-1h-5min",
        "errors-1h-5min-long",
        "errors-1h-5min-short",
        "errors-3d-6h",
        "errors-3d-6h-long",
        "errors-3d-6h-short",
        "errors-6h-30min",
        "errors-6h-30min-long",
        "errors-6h-30min-short",
    ]
    # The page pair: error rate over 1 h and over 5 min, each at 14.4 x the allowed 0.1 %.
    long = alarms["errors-1h-5min-long"]
    queries = {query["Id"]: query for query in long["Metrics"]}
    assert queries["error_rate"]["Expression"] == ("IF(requests >= 10, errors / requests, 0)")
    assert queries["errors"]["MetricStat"]["Metric"]["MetricName"] == "Invocation5XXErrors"
    assert queries["requests"]["MetricStat"]["Metric"]["MetricName"] == "Invocations"
    assert queries["requests"]["MetricStat"]["Metric"]["Dimensions"] == [
        {"Name": "EndpointName", "Value": "houses"},
        {"Name": "VariantName", "Value": "v1"},
    ]
    assert queries["errors"]["MetricStat"]["Period"] == 3600
    assert long["Threshold"] == pytest.approx(0.0144)
    assert long["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    short = {q["Id"]: q for q in alarms["errors-1h-5min-short"]["Metrics"]}
    assert short["errors"]["MetricStat"]["Period"] == 300
    # One 3-day period: CloudWatch allows 7 days of look-back at periods of an hour or more.
    ticket = {q["Id"]: q for q in alarms["errors-3d-6h-long"]["Metrics"]}
    assert ticket["errors"]["MetricStat"]["Period"] == 259200
    assert alarms["errors-3d-6h-long"]["Threshold"] == pytest.approx(0.001)
    page = alarms["errors-1h-5min"]
    assert page["AlarmRule"] == (
        'ALARM("stainless-houses-v1-errors-1h-5min-long") AND '
        'ALARM("stainless-houses-v1-errors-1h-5min-short")'
    )
    assert page["AlarmActions"] == [TOPIC] and "14.4x" in page["AlarmDescription"]
    assert "AlarmActions" not in long or long["AlarmActions"] == []  # only composites notify

    hosted.up(None)  # a re-run: the same alarms, updated in place, no duplicates
    assert sorted(alarms_of(hosted)["v1"]) == sorted(alarms)

    hosted.down()
    assert alarms_of(hosted) == {}


def test_model_yaml_slo_becomes_the_endpoint_alarm_settings(bake) -> None:  # type: ignore[no-untyped-def]
    import yaml
    from stainless.project.config import load_config
    from stainless.project.hosting import endpoint_settings

    project = bake()
    path = project / "model.yaml"
    config = yaml.safe_load(path.read_text())
    config["monitoring"] = {
        "slo": {"error_rate": 0.01, "latency_p95_ms": 300, "alarm_actions": [TOPIC]}
    }
    path.write_text(yaml.safe_dump(config))
    settings = endpoint_settings(load_config(project, env="aws"))
    assert settings.slo == SloAlarms(0.01, 300, 10, (TOPIC,))
    config["monitoring"]["slo"]["enabled"] = False
    path.write_text(yaml.safe_dump(config))
    assert endpoint_settings(load_config(project, env="aws")).slo is None
