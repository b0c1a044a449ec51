"""Every AWS client of stainless is built with the one shared botocore config."""

import pytest


def test_every_aws_client_shares_one_retry_and_timeout_config(monkeypatch) -> None:
    pytest.importorskip("boto3")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    from stainless.backends.compute.sagemaker import _sagemaker_client
    from stainless.backends.endpoints.sagemaker import SageMakerEndpoint
    from stainless.backends.registry.sagemaker_client import sagemaker_client
    from stainless.backends.secrets.secretsmanager import SecretsManagerStore
    from stainless.backends.secrets.ssm import ParameterStore
    from stainless.backends.storage.s3 import S3Store

    endpoint = SageMakerEndpoint("ep", role=None, image=None, region="eu-west-1", local_mode=False)
    clients = [
        S3Store("bucket", "").client,
        sagemaker_client("eu-west-1"),
        _sagemaker_client("eu-west-1", None, False),
        endpoint.sagemaker,
        endpoint.cloudwatch,
        *(part.client for part in endpoint.scaling.parts),  # autoscaling, CloudWatch alarms
        SecretsManagerStore()._client("eu-west-1"),
        ParameterStore()._client("eu-west-1"),
    ]
    for client in clients:
        config = client.meta.config
        assert config.retries == {"total_max_attempts": 8, "mode": "standard"}, client
        assert (config.connect_timeout, config.read_timeout) == (10, 60)


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 30.0), ("1", 1.0), ("0", 30.0), ("x", 30.0)]
)
def test_sagemaker_poll_interval_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: float
) -> None:
    """STAINLESS_SAGEMAKER_POLL_S (the rehearsal sets 1); unset, zero or garbage: the default."""
    pytest.importorskip("boto3")
    from stainless.backends.compute.sagemaker import SageMakerCompute

    if value is not None:
        monkeypatch.setenv("STAINLESS_SAGEMAKER_POLL_S", value)
    compute = SageMakerCompute("arn:role", "img", "s3://b/p", region="eu-west-1", local_mode=False)
    assert compute.poll_s == expected
    assert SageMakerCompute("r", "i", "s3://b/p", region="eu-west-1", poll_s=5).poll_s == 5
