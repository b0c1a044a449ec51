"""Production compute: a stage runs in the model's image as a SageMaker job (boto3 only).

``train`` becomes a training job, every other stage a processing job; both run the stage's
command line (``stainless <stage> --run-id ...``) as the container entry point, with the stage's
instance type and ``max_runtime`` as SageMaker's stopping condition. The stage itself writes its
outputs and completion marker to the artifact store, so no SageMaker channels are needed.

Job names are derived from the model, the stage and the run id, so an Airflow retry of a task
re-attaches to the job its first try started instead of paying for a second one; a job that
failed or was stopped is followed by a new attempt with the next suffix.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from stainless.backends.aws import client_config, sagemaker_poll_s
from stainless.backends.compute import JobResult, StageJob
from stainless.backends.compute.instances import cheapest_instance
from stainless.backends.sagemaker_local import local_mode_requested
from stainless.core.errors import BackendError, MissingExtraError
from stainless.core.uris import Uri

log = logging.getLogger("stainless.compute")

RUNNING = frozenset({"InProgress", "Stopping"})
FAILED = frozenset({"Failed", "Stopped"})
MAX_ATTEMPTS = 50
# SageMaker provisions instances and pulls the image before the stopping condition's clock
# starts; our own wait allows for that before giving up on a job.
PROVISIONING_SLACK_S = 30 * 60


class SageMakerCompute:
    def __init__(
        self,
        role_arn: str,
        image: str,
        output_uri: str,
        job_prefix: str = "stainless",
        instance_types: dict[str, str] | None = None,
        volume_gb: int = 30,
        region: str | None = None,
        endpoint_url: str | None = None,
        poll_s: float | None = None,
        client: Any = None,
        local_mode: bool | None = None,
    ) -> None:
        if not output_uri.startswith("s3://"):
            raise BackendError(
                "SageMaker jobs need an s3:// output location",
                key="compute",
                found=output_uri,
                fix="pass output=s3://BUCKET/PREFIX",
            )
        self.role_arn = role_arn
        self.image = image
        self.output_uri = output_uri.rstrip("/")
        self.job_prefix = _name_part(job_prefix, 30)
        self.instance_types = dict(instance_types or {})
        self.volume_gb = volume_gb
        self.poll_s = sagemaker_poll_s(30.0) if poll_s is None else poll_s
        if local_mode is None:  # STAINLESS_SAGEMAKER_MODE=local also reaches the DAG's jobs
            local_mode = local_mode_requested()
        self.client = client or _sagemaker_client(region, endpoint_url, local_mode)

    @classmethod
    def from_uri(cls, uri: Uri, base: Path) -> SageMakerCompute:
        """``sagemaker://?role=ARN&image=URI&output=s3://B/P[&prefix=..&region=..&mode=local]``.

        ``mode=local`` (or STAINLESS_SAGEMAKER_MODE=local) runs the jobs with the SageMaker SDK's
        local mode on this machine's Docker engine (the rehearsal, docs/rehearsal.md)."""
        missing = [k for k in ("role", "image", "output") if not uri.query.get(k)]
        if missing:
            raise BackendError(
                f"compute URI lacks {', '.join(missing)}",
                key="compute",
                found=uri.raw,
                fix="sagemaker://?role=ARN&image=URI&output=s3://B/P",
            )
        q = uri.query
        return cls(
            q["role"],
            q["image"],
            q["output"],
            job_prefix=q.get("prefix", "stainless"),
            region=q.get("region"),
            endpoint_url=q.get("endpoint_url"),
            local_mode=local_mode_requested(q),
        )

    def job_kind(self, stage: str) -> str:
        return "training" if stage == "train" else "processing"

    def instance_type(self, job: StageJob) -> str:
        forced = self.instance_types.get(job.stage)
        if forced:
            return forced
        return cheapest_instance(job.cpus, job.memory_gb, self.job_kind(job.stage)).name

    def job_name(self, job: StageJob, attempt: int) -> str:
        digest = hashlib.sha256(job.run_id.encode()).hexdigest()[:10]
        return f"{self.job_prefix}-{_name_part(job.stage, 10)}-{digest}-{attempt}"

    def run(self, job: StageJob) -> JobResult:
        started = time.monotonic()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            name = self.job_name(job, attempt)
            status = self._status(job.stage, name)
            if status is None:
                log.info("starting SageMaker %s job %s", self.job_kind(job.stage), name)
                self._create(job, name)
            elif status in FAILED:
                log.info("SageMaker job %s ended %s earlier; starting a new attempt", name, status)
                continue
            else:
                log.info("re-attaching to SageMaker job %s (%s)", name, status)
            return self._wait(job, name, started)
        raise BackendError(
            f"{MAX_ATTEMPTS} SageMaker jobs already failed for stage {job.stage} "
            f"of run {job.run_id}",
            fix="start a new run",
        )

    def _create(self, job: StageJob, name: str) -> None:
        stopping = {"MaxRuntimeInSeconds": max(1, int(job.timeout_s))}
        tags = [
            {"Key": "stainless:stage", "Value": job.stage},
            {"Key": "stainless:run-id", "Value": job.run_id},
        ]
        env = {key: str(value) for key, value in job.env.items()}
        if self.job_kind(job.stage) == "training":
            self.client.create_training_job(
                TrainingJobName=name,
                AlgorithmSpecification={
                    "TrainingImage": self.image,
                    "TrainingInputMode": "File",
                    "ContainerEntrypoint": job.command[:1],
                    "ContainerArguments": job.command[1:],
                },
                RoleArn=self.role_arn,
                OutputDataConfig={"S3OutputPath": f"{self.output_uri}/{name}"},
                ResourceConfig={
                    "InstanceType": self.instance_type(job),
                    "InstanceCount": 1,
                    "VolumeSizeInGB": self.volume_gb,
                },
                StoppingCondition=stopping,
                Environment=env,
                Tags=tags,
            )
        else:
            self.client.create_processing_job(
                ProcessingJobName=name,
                ProcessingResources={
                    "ClusterConfig": {
                        "InstanceCount": 1,
                        "InstanceType": self.instance_type(job),
                        "VolumeSizeInGB": self.volume_gb,
                    }
                },
                AppSpecification={"ImageUri": self.image, "ContainerEntrypoint": job.command},
                RoleArn=self.role_arn,
                StoppingCondition=stopping,
                Environment=env,
                Tags=tags,
            )

    def _describe(self, stage: str, name: str) -> dict[str, Any]:
        if self.job_kind(stage) == "training":
            return self.client.describe_training_job(TrainingJobName=name)
        return self.client.describe_processing_job(ProcessingJobName=name)

    def _status(self, stage: str, name: str) -> str | None:
        try:
            described = self._describe(stage, name)
        except self.client.exceptions.ClientError as exc:
            message = str(exc.response.get("Error", {}).get("Message", "")).lower()
            if any(text in message for text in ("could not find", "not found", "does not exist")):
                return None
            raise
        return job_status(described)

    def _wait(self, job: StageJob, name: str, started: float) -> JobResult:
        deadline = started + job.timeout_s + PROVISIONING_SLACK_S
        while True:
            described = self._describe(job.stage, name)
            status = job_status(described)
            if status not in RUNNING:
                result = job_result(described, time.monotonic() - started)
                # The type we asked for, when the description leaves it out.
                return replace(
                    result, instance_type=result.instance_type or self.instance_type(job)
                )
            if time.monotonic() > deadline:
                self._stop(job.stage, name)
                return JobResult(
                    1,
                    time.monotonic() - started,
                    0.0,
                    f"SageMaker job {name} exceeded max_runtime plus "
                    f"{PROVISIONING_SLACK_S // 60} min of provisioning; stopped it",
                )
            time.sleep(self.poll_s)

    def _stop(self, stage: str, name: str) -> None:
        if self.job_kind(stage) == "training":
            self.client.stop_training_job(TrainingJobName=name)
        else:
            self.client.stop_processing_job(ProcessingJobName=name)


def job_status(described: dict[str, Any]) -> str:
    return str(described.get("TrainingJobStatus") or described.get("ProcessingJobStatus"))


def billing(described: dict[str, Any]) -> tuple[str | None, float | None]:
    """(instance type, billable seconds) of a described job. Training jobs report
    ``BillableTimeInSeconds``; processing jobs are billed from start to end."""
    if "TrainingJobStatus" in described:
        instance = (described.get("ResourceConfig") or {}).get("InstanceType")
        count = int((described.get("ResourceConfig") or {}).get("InstanceCount") or 1)
        billable = described.get("BillableTimeInSeconds")
        if billable is None:
            billable = _elapsed(
                described.get("TrainingStartTime"), described.get("TrainingEndTime")
            )
            billable = None if billable is None else billable * count
        return instance, None if billable is None else float(billable)
    cluster = (described.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    elapsed = _elapsed(described.get("ProcessingStartTime"), described.get("ProcessingEndTime"))
    count = int(cluster.get("InstanceCount") or 1)
    return cluster.get("InstanceType"), None if elapsed is None else elapsed * count


def _elapsed(start: Any, end: Any) -> float | None:
    if start is None or end is None or not hasattr(start, "timestamp"):
        return None
    return max(0.0, end.timestamp() - start.timestamp())


def job_result(described: dict[str, Any], duration_s: float) -> JobResult:
    """A finished job's description as a JobResult (returncode 0 only when Completed)."""
    status = job_status(described)
    instance, billable = billing(described)
    if status == "Completed":
        return JobResult(0, duration_s, 0.0, instance_type=instance, billable_s=billable)
    secondary = described.get("SecondaryStatus")
    reason = described.get("FailureReason") or described.get("ExitMessage") or ""
    if status == "Stopped" and secondary == "MaxRuntimeExceeded":
        reason = "exceeded max_runtime (SageMaker stopped it)"
    name = described.get("TrainingJobName") or described.get("ProcessingJobName")
    return JobResult(
        1,
        duration_s,
        0.0,
        f"SageMaker job {name} {status.lower()}: {reason or 'no reason given'}",
        instance_type=instance,
        billable_s=billable,
    )


def _name_part(text: str, limit: int) -> str:
    """SageMaker job names allow [a-zA-Z0-9-] only."""
    cleaned = re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-")
    return cleaned[:limit].rstrip("-") or "x"


def _sagemaker_client(region: str | None, endpoint_url: str | None, local_mode: bool) -> Any:
    if local_mode:
        from stainless.backends.sagemaker_local import local_mode_client

        return local_mode_client(region=region)
    try:
        import boto3
    except ImportError:
        raise MissingExtraError("boto3", "aws", "The SageMaker compute backend") from None
    return boto3.client(
        "sagemaker", region_name=region, endpoint_url=endpoint_url, config=client_config()
    )
