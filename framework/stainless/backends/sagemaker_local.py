"""The SageMaker SDK's local mode (``pip install 'sagemaker[local]<3'``): AWS's own implementation
of SageMaker's training, processing and hosting APIs, running the containers on the local Docker
engine through docker-compose.

``LocalSagemakerClient`` and ``LocalSagemakerRuntimeClient`` take the same calls as boto3's
``sagemaker`` and ``sagemaker-runtime`` clients, so the SageMaker backends run unchanged against
them (the production rehearsal, docs/rehearsal.md), and the image tests run the image the way
SageMaker does (tests/container/test_sagemaker_local_mode.py).

With file:// inputs and outputs, a role ARN given and telemetry off (below), local mode makes no
AWS call and does not pull an image that is present locally (it only logs in to ECR and pulls
for ECR image URIs missing locally).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from stainless.backends.aws import client_config
from stainless.core.errors import MissingExtraError

# The SDK's defaults config: TelemetryOptOut stops the usage ping its decorated calls
# (create_training_job, create_endpoint, ...) otherwise send to an AWS-hosted URL.
SDK_DEFAULTS = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}


LOCAL_ROOT_ENV = "STAINLESS_SAGEMAKER_LOCAL_ROOT"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def local_session(
    *,
    container_root: Path | None = None,
    serving_port: int | None = None,
    region: str | None = None,
) -> Any:
    """A ``sagemaker.local.LocalSession`` with telemetry off, its endpoint on ``serving_port`` (a
    free one by default: local mode's default 8080 is often taken) and the folders it mounts
    under ``container_root`` (default: $STAINLESS_SAGEMAKER_LOCAL_ROOT, else the system temp
    folder; Docker Desktop can mount only shared folders)."""
    os.environ.setdefault("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    try:
        import boto3
        from sagemaker.local import LocalSession
    except ImportError:
        raise MissingExtraError(
            "sagemaker.local", "sagemaker-local", "SageMaker local mode"
        ) from None
    boto_session = boto3.Session(
        region_name=region or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    )
    session = LocalSession(boto_session=boto_session, sagemaker_config=SDK_DEFAULTS)
    local: dict[str, Any] = {"serving_port": serving_port or free_port()}
    root = container_root or os.environ.get(LOCAL_ROOT_ENV)
    if root:
        local["container_root"] = str(root)
    session.config = {"local": local}
    return session


LOCAL_MODE_ENV = "STAINLESS_SAGEMAKER_MODE"  # "local": the SageMaker backends use local mode
# Where the containers local mode starts reach the AWS endpoint (e.g. the moto server of the
# rehearsal, on an address of the Docker host); given to every job and model as AWS_ENDPOINT_URL.
CONTAINER_ENDPOINT_ENV = "STAINLESS_SAGEMAKER_LOCAL_AWS_ENDPOINT_URL"
# Handed from this process's environment to every container when set: where the rehearsal's
# Slack stand-in listens (on a real SageMaker job the variable is unset and Slack is Slack's).
CONTAINER_PASSED_ENV = ("SLACK_API_URL",)


def local_mode_requested(query: dict[str, str] | None = None) -> bool:
    """``?mode=local`` on a sagemaker:// URI or STAINLESS_SAGEMAKER_MODE=local."""
    chosen = (query or {}).get("mode") or os.environ.get(LOCAL_MODE_ENV) or ""
    return chosen.strip().lower() == "local"


class LocalModeClient:
    """boto3's SageMaker client, as far as our backends use it, over local mode's client.

    Two differences of local mode are absorbed here so the backends need no branch: its jobs run
    synchronously inside ``create_*_job`` and *raise* when the container fails (SageMaker
    returns at once and later describes the job as Failed), and the containers it starts cannot
    reach a host-only AWS endpoint (so ``CONTAINER_ENDPOINT_ENV`` is passed to them)."""

    def __init__(self, session: Any) -> None:
        from botocore.exceptions import ClientError

        self.session = session
        self._client = session.sagemaker_client
        self._failed: dict[str, dict[str, Any]] = {}
        self._config_extras: dict[str, dict[str, Any]] = {}
        self.exceptions = type("LocalModeExceptions", (), {"ClientError": ClientError})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _environment(self, given: dict[str, str] | None) -> dict[str, str]:
        environment = dict(given or {})
        endpoint = os.environ.get(CONTAINER_ENDPOINT_ENV)
        if endpoint:
            # AWS_ENDPOINT_URL_S3 too: local mode sets it to the host's S3 address for training.
            environment.setdefault("AWS_ENDPOINT_URL", endpoint)
            environment.setdefault("AWS_ENDPOINT_URL_S3", endpoint)
        for name in CONTAINER_PASSED_ENV:  # the rehearsal's other stand-ins, e.g. Slack's
            if os.environ.get(name):
                environment.setdefault(name, os.environ[name])
        environment.setdefault("AWS_DEFAULT_REGION", self.session.boto_region_name)
        return environment

    def record_failure(self, kind: str, name: str, reason: str) -> None:
        """Describe job ``name`` (``kind`` Training or Processing) as Failed from now on."""
        self._failed[name] = {
            f"{kind}JobName": name,
            f"{kind}JobStatus": "Failed",
            "FailureReason": reason[-1024:],
        }

    def create_training_job(self, **request: Any) -> None:
        request["Environment"] = self._environment(request.get("Environment"))
        try:
            self._client.create_training_job(**request)
        except RuntimeError as exc:  # the container exited non-zero
            self.record_failure("Training", request["TrainingJobName"], str(exc))

    def create_processing_job(self, **request: Any) -> None:
        request["Environment"] = self._environment(request.get("Environment"))
        request.pop("StoppingCondition", None)  # local mode warns and ignores it
        try:
            self._client.create_processing_job(**request)
        except RuntimeError as exc:
            self.record_failure("Processing", request["ProcessingJobName"], str(exc))

    def describe_training_job(self, TrainingJobName: str) -> dict[str, Any]:
        if TrainingJobName in self._failed:
            return dict(self._failed[TrainingJobName])
        return dict(self._client.describe_training_job(TrainingJobName=TrainingJobName))

    def describe_processing_job(self, ProcessingJobName: str) -> dict[str, Any]:
        if ProcessingJobName in self._failed:
            return dict(self._failed[ProcessingJobName])
        return dict(self._client.describe_processing_job(ProcessingJobName=ProcessingJobName))

    def create_model(self, **request: Any) -> None:
        container = dict(request["PrimaryContainer"])
        container["Environment"] = self._environment(container.get("Environment"))
        request["PrimaryContainer"] = container
        self._client.create_model(**request)

    def create_endpoint_config(self, **request: Any) -> None:
        """Local mode serves the first variant only and takes no DataCaptureConfig (our server
        captures requests itself, into the store); the config is kept for describe calls."""
        extra = {
            k: request.pop(k)
            for k in list(request)
            if k not in ("EndpointConfigName", "ProductionVariants", "Tags")
        }
        self._client.create_endpoint_config(**request)
        self._config_extras[request["EndpointConfigName"]] = extra

    def describe_endpoint_config(self, EndpointConfigName: str) -> dict[str, Any]:
        described = dict(
            self._client.describe_endpoint_config(EndpointConfigName=EndpointConfigName)
        )
        return {**described, **self._config_extras.get(EndpointConfigName, {})}

    def delete_endpoint(self, EndpointName: str) -> None:
        """Local mode stops the container but keeps describing the endpoint as InService."""
        from sagemaker.local.local_session import LocalSagemakerClient

        self._client.delete_endpoint(EndpointName=EndpointName)
        LocalSagemakerClient._endpoints.pop(EndpointName, None)

    def endpoint_names(self) -> list[str]:
        """The endpoints local mode knows in this process."""
        from sagemaker.local.local_session import LocalSagemakerClient

        return list(LocalSagemakerClient._endpoints)

    @property
    def serving_url(self) -> str:
        """Where local mode publishes the endpoint's container (one endpoint per session)."""
        return f"http://localhost:{self.session.config['local']['serving_port']}"

    def stop_training_job(self, TrainingJobName: str) -> None:
        """Local jobs have ended by the time anyone could stop them."""

    def stop_processing_job(self, ProcessingJobName: str) -> None:
        """Local jobs have ended by the time anyone could stop them."""


def local_mode_client(**session_options: Any) -> LocalModeClient:
    return LocalModeClient(local_session(**session_options))


def sagemaker_client(boto_session: Any, local_mode: bool) -> Any:
    """boto3's SageMaker client of ``boto_session``, or local mode's in its place."""
    if local_mode:
        return local_mode_client(region=boto_session.region_name)
    return boto_session.client("sagemaker", config=client_config())
