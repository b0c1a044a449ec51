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

from stainless.core.errors import MissingExtraError

# The SDK's defaults config: TelemetryOptOut stops the usage ping its decorated calls
# (create_training_job, create_endpoint, ...) otherwise send to an AWS-hosted URL.
SDK_DEFAULTS = {
    "SchemaVersion": "1.0",
    "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}},
}


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
    under ``container_root`` (default: the system temp folder)."""
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
    if container_root is not None:
        local["container_root"] = str(container_root)
    session.config = {"local": local}
    return session
