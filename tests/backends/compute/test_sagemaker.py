"""SageMaker compute against a real moto server with a real boto3 client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stainless.backends.compute import Compute, StageJob, open_compute
from stainless.backends.compute.sagemaker import SageMakerCompute, job_result
from stainless.core.errors import BackendError
from support.moto_server import moto_server

pytestmark = pytest.mark.integration
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/house-prices:abc123"


@pytest.fixture
def sagemaker(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    import boto3
    import httpx

    with moto_server(monkeypatch) as url:
        # moto keeps its state per process, not per server: start every test from nothing.
        httpx.post(f"{url}/moto-api/reset").raise_for_status()
        yield boto3.client("sagemaker")


def _job(stage: str, run_id: str = "manual-2026-01-01") -> StageJob:
    return StageJob(
        stage=stage,
        run_id=run_id,
        command=["stainless", stage, "--run-id", run_id, "--env", "aws"],
        cwd=Path("."),
        cpus=4,
        memory_gb=20,
        timeout_s=1800,
        env={"STAINLESS_RUN_ID": run_id},
    )


def _compute(client: object, **kwargs: object) -> SageMakerCompute:
    return SageMakerCompute(
        ROLE,
        IMAGE,
        "s3://artifacts/house-prices/sagemaker",
        job_prefix="house-prices",
        poll_s=0.01,
        client=client,
        **kwargs,
    )


def test_train_runs_as_a_training_job_with_the_cheapest_fitting_instance(sagemaker) -> None:
    compute = _compute(sagemaker)
    assert isinstance(compute, Compute)
    result = compute.run(_job("train"))
    assert result.returncode == 0 and result.reason is None
    [summary] = sagemaker.list_training_jobs()["TrainingJobSummaries"]
    described = sagemaker.describe_training_job(TrainingJobName=summary["TrainingJobName"])
    assert described["ResourceConfig"]["InstanceType"] == "ml.r5.xlarge"
    assert described["StoppingCondition"]["MaxRuntimeInSeconds"] == 1800
    algorithm = described["AlgorithmSpecification"]
    assert algorithm["TrainingImage"] == IMAGE
    assert algorithm["ContainerEntrypoint"] == ["stainless"]
    assert algorithm["ContainerArguments"] == [
        "train",
        "--run-id",
        "manual-2026-01-01",
        "--env",
        "aws",
    ]
    assert described["OutputDataConfig"]["S3OutputPath"].startswith(
        "s3://artifacts/house-prices/sagemaker/house-prices-train-"
    )


def test_preprocess_runs_as_a_processing_job_with_the_forced_instance(sagemaker) -> None:
    compute = _compute(sagemaker, instance_types={"preprocess": "ml.c5.2xlarge"})
    assert compute.run(_job("preprocess")).returncode == 0
    [summary] = sagemaker.list_processing_jobs()["ProcessingJobSummaries"]
    name = summary["ProcessingJobName"]
    assert name == compute.job_name(_job("preprocess"), 1)
    described = sagemaker.describe_processing_job(ProcessingJobName=name)
    assert described["AppSpecification"]["ImageUri"] == IMAGE
    assert described["AppSpecification"]["ContainerEntrypoint"][:2] == ["stainless", "preprocess"]
    assert described["StoppingCondition"]["MaxRuntimeInSeconds"] == 1800
    assert compute.instance_type(_job("preprocess")) == "ml.c5.2xlarge"


def test_a_retry_reattaches_instead_of_starting_a_second_job(sagemaker) -> None:
    compute = _compute(sagemaker)
    assert compute.run(_job("train")).returncode == 0
    assert compute.run(_job("train")).returncode == 0  # an Airflow retry of the same run
    assert len(sagemaker.list_training_jobs()["TrainingJobSummaries"]) == 1
    compute.run(_job("train", run_id="another-run"))
    assert len(sagemaker.list_training_jobs()["TrainingJobSummaries"]) == 2


def test_a_stopped_job_is_followed_by_a_new_attempt(sagemaker) -> None:
    compute = _compute(sagemaker)
    job = _job("evaluate")
    assert compute.run(job).returncode == 0
    sagemaker.stop_processing_job(ProcessingJobName=compute.job_name(job, 1))
    assert compute.run(job).returncode == 0
    names = {
        s["ProcessingJobName"] for s in sagemaker.list_processing_jobs()["ProcessingJobSummaries"]
    }
    assert names == {compute.job_name(job, 1), compute.job_name(job, 2)}


def test_open_compute_builds_it_from_a_uri(sagemaker) -> None:
    compute = open_compute(
        f"sagemaker://?role={ROLE}&image={IMAGE}&output=s3://b/p&prefix=house-prices", Path(".")
    )
    assert isinstance(compute, SageMakerCompute)
    assert compute.run(_job("preprocess")).returncode == 0
    with pytest.raises(BackendError, match="lacks role, image"):
        open_compute("sagemaker://?output=s3://b/p", Path("."))


def test_job_names_are_valid_for_sagemaker() -> None:
    compute = SageMakerCompute(ROLE, IMAGE, "s3://b/p", job_prefix="a" * 63, client=object())
    name = compute.job_name(_job("preprocess", run_id="scheduled__2026-01-01T00:00:00+00:00"), 12)
    assert len(name) <= 63
    assert all(ch.isalnum() or ch == "-" for ch in name)


def test_failed_and_timed_out_jobs_explain_why() -> None:
    failed = job_result(
        {
            "TrainingJobName": "j",
            "TrainingJobStatus": "Failed",
            "FailureReason": "AlgorithmError: boom",
        },
        3.0,
    )
    assert failed.returncode == 1 and "failed: AlgorithmError: boom" in failed.reason
    stopped = job_result(
        {
            "TrainingJobName": "j",
            "TrainingJobStatus": "Stopped",
            "SecondaryStatus": "MaxRuntimeExceeded",
        },
        3.0,
    )
    assert "exceeded max_runtime" in stopped.reason


def test_output_must_be_s3() -> None:
    with pytest.raises(BackendError, match="s3:// output"):
        SageMakerCompute(ROLE, IMAGE, "file:///tmp", client=object())


def test_a_job_reports_its_instance_and_billable_time(sagemaker) -> None:
    # moto completes jobs at once and reports no BillableTimeInSeconds, but its training job
    # starts and ends at the same time, and the instance type is the one the job ran on.
    result = _compute(sagemaker).run(_job("train"))
    assert result.instance_type == "ml.r5.xlarge" and result.billable_s == 0.0
    processed = _compute(sagemaker).run(_job("preprocess"))
    assert processed.instance_type == "ml.r5.xlarge"  # 4 vCPUs, 20 GiB
    assert processed.billable_s is None  # moto gives no ProcessingStartTime: unknown, not 0


def test_billable_seconds_come_from_sagemakers_description() -> None:
    """What SageMaker answers for a finished training job, checked against its real service
    model by botocore's Stubber (moto never reports BillableTimeInSeconds)."""
    from datetime import UTC, datetime

    import boto3
    from botocore.stub import Stubber

    client = boto3.client(
        "sagemaker",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    compute = _compute(client)
    job = _job("train")
    name = compute.job_name(job, 1)
    described = {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/p/model.tar.gz"},
        "TrainingJobStatus": "Completed",
        "SecondaryStatus": "Completed",
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 1800},
        "CreationTime": datetime(2026, 1, 1, 10, 0, tzinfo=UTC),
        "TrainingStartTime": datetime(2026, 1, 1, 10, 2, tzinfo=UTC),
        "TrainingEndTime": datetime(2026, 1, 1, 10, 15, tzinfo=UTC),
        "TrainingTimeInSeconds": 780,
        "BillableTimeInSeconds": 754,
    }
    with Stubber(client) as stubber:
        stubber.add_response("describe_training_job", described, {"TrainingJobName": name})
        stubber.add_response("describe_training_job", described, {"TrainingJobName": name})
        result = compute.run(job)  # re-attaches to the finished job
        stubber.assert_no_pending_responses()
    assert result.returncode == 0
    assert (result.instance_type, result.billable_s) == ("ml.m5.xlarge", 754.0)
