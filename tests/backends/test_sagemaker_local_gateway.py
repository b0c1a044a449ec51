"""stainless.backends.sagemaker_local_gateway: SageMaker's JSON protocol in front of local mode.

The gateway runs in .venv-sagemaker (local mode cannot share a venv with Airflow 3 nor with the
main .venv); these tests start it there as the rehearsal does and talk to it with the main
venv's boto3, with a moto server as its upstream. Nothing here starts a container: the jobs and
the endpoint under local mode are tests/dag_generator/test_aws_rehearsal.py's part.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.moto_server import moto_server

pytestmark = [pytest.mark.sagemaker, pytest.mark.integration]
ROOT = Path(__file__).resolve().parents[2]
SAGEMAKER_PYTHON = ROOT / ".venv-sagemaker" / "bin" / "python"
ROLE = "arn:aws:iam::123456789012:role/stainless-rehearsal"


@pytest.fixture
def gateway(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """boto3's SageMaker client pointed at a running gateway whose upstream is moto."""
    import boto3

    if not SAGEMAKER_PYTHON.exists():
        reason = f"{SAGEMAKER_PYTHON} not found: run `bash .ci/sagemaker-setup.sh`"
        if os.environ.get("STAINLESS_REQUIRE_SAGEMAKER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    with moto_server(monkeypatch) as moto:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("STAINLESS_", "PYTEST_"))},
            "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
            "STAINLESS_SAGEMAKER_LOCAL_ROOT": str(tmp_path),
        }
        log = tmp_path / "gateway.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(SAGEMAKER_PYTHON), "-m", "stainless.backends.sagemaker_local_gateway"]
                + ["--upstream", moto],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline, url = time.monotonic() + 120, None
            while process.poll() is None and time.monotonic() < deadline and url is None:
                found = re.search(r"listening on (http://\S+)", log.read_text())
                url = found.group(1) if found else time.sleep(0.2)
            assert url, log.read_text()[-3000:]
            yield boto3.client("sagemaker", endpoint_url=url)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _error(call: Any, **request: Any) -> tuple[str, str]:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        call(**request)
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def test_local_mode_answers_what_it_implements_and_says_what_it_does_not(gateway: Any) -> None:
    gateway.create_model(
        ModelName="m-v1",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "img:1", "ModelDataUrl": "s3://b/m/model.tar.gz"},
    )
    assert gateway.describe_model(ModelName="m-v1")["ModelName"] == "m-v1"
    code, message = _error(gateway.describe_endpoint, EndpointName="missing")
    assert (code, message) == ("ValidationException", "Could not find local endpoint")
    code, message = _error(
        gateway.update_endpoint,
        EndpointName="e",
        EndpointConfigName="c",
        RetainAllVariantProperties=False,
    )
    assert code == "ValidationException" and "local mode" in message and "not supported" in message
    code, message = _error(
        gateway.update_endpoint_weights_and_capacities,
        EndpointName="e",
        DesiredWeightsAndCapacities=[{"VariantName": "v1", "DesiredWeight": 1.0}],
    )
    assert code == "ValidationException" and "not implemented by SageMaker's local mode" in message


def test_a_job_is_in_progress_until_local_mode_ends_it(gateway: Any) -> None:
    """Created at once, as on SageMaker; local mode's failure (here: an image that does not
    exist) is then described as Failed, with its reason."""
    gateway.create_processing_job(
        ProcessingJobName="p-1",
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "local", "VolumeSizeInGB": 1}
        },
        AppSpecification={"ImageUri": "stainless-test/no-such-image:none"},
        RoleArn=ROLE,
    )
    seen = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        seen.append(gateway.describe_processing_job(ProcessingJobName="p-1"))
        if seen[-1]["ProcessingJobStatus"] != "InProgress":
            break
        time.sleep(0.2)
    assert seen[0]["ProcessingJobStatus"] in ("InProgress", "Failed")
    assert seen[-1]["ProcessingJobStatus"] == "Failed" and seen[-1]["FailureReason"]


def test_other_operations_go_to_the_upstream(gateway: Any) -> None:
    """The model registry's model packages are not local mode's: moto keeps them."""
    import boto3

    gateway.create_model_package_group(ModelPackageGroupName="house-prices")
    upstream = boto3.client("sagemaker")  # AWS_ENDPOINT_URL: moto
    described = upstream.describe_model_package_group(ModelPackageGroupName="house-prices")
    assert described["ModelPackageGroupName"] == "house-prices"
    code, _ = _error(gateway.describe_model_package_group, ModelPackageGroupName="absent")
    assert code == "ValidationException"
