"""The Docker engine, through the ``docker`` command line (no SDK: the CLI already knows the
user's contexts, DOCKER_HOST, credential helpers and registry logins)."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from stainless.core.errors import BackendError, MissingExtraError

DOCKER_ENV = "STAINLESS_DOCKER"  # another docker binary (e.g. /usr/bin/docker for BuildKit)
DEFAULT_HOST = "unix:///var/run/docker.sock"
START_HINT = (
    "start Docker (Docker Desktop; `sudo systemctl start docker`; on a bare Debian VM "
    "`sudo .ci/docker-setup.sh` from the stainless repository), or point DOCKER_HOST at a "
    "running engine, e.g. DOCKER_HOST=tcp://build-host:2375"
)


def docker_binary() -> str:
    chosen = os.environ.get(DOCKER_ENV) or shutil.which("docker")
    if not chosen:
        raise BackendError(
            "the docker command is not installed (or not on PATH)",
            key="docker",
            fix=f"install Docker (https://docs.docker.com/get-docker/) or set {DOCKER_ENV} to "
            "the docker binary",
        )
    return chosen


def ensure_reachable(timeout_s: float = 20.0) -> str:
    """The engine's version; a clear error naming DOCKER_HOST when nobody answers."""
    host = os.environ.get("DOCKER_HOST") or f"{DEFAULT_HOST} (DOCKER_HOST is not set)"
    try:
        result = subprocess.run(
            [docker_binary(), "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        result = None
    if result is None or result.returncode != 0 or not result.stdout.strip():
        detail = result.stderr.strip().splitlines()[-1:] if result is not None else []
        raise BackendError(
            f"the Docker engine at {host} is not reachable",
            key="DOCKER_HOST",
            found=detail[0][:300] if detail else f"no answer within {timeout_s:.0f}s",
            fix=START_HINT,
        )
    return result.stdout.strip()


def build(
    context: Path,
    tags: Sequence[str],
    build_args: Mapping[str, str],
    labels: Mapping[str, str],
    dockerfile: Path | None = None,
    pull: bool = False,
) -> str:
    """Build ``context``; the build log goes to stderr, the image id is returned."""
    with tempfile.TemporaryDirectory(prefix="stainless-build-") as scratch:
        iidfile = Path(scratch) / "iid"
        command = [docker_binary(), "build", "--iidfile", str(iidfile)]
        if dockerfile is not None:
            command += ["--file", str(dockerfile)]
        if pull:
            command.append("--pull")
        for tag in tags:
            command += ["--tag", tag]
        for key, value in build_args.items():
            command += ["--build-arg", f"{key}={value}"]
        for key, value in labels.items():
            command += ["--label", f"{key}={value}"]
        command.append(str(context))
        completed = subprocess.run(command, stdout=log_stream(), stderr=log_stream())
        if completed.returncode != 0 or not iidfile.is_file():
            raise BackendError(
                f"docker build failed (exit {completed.returncode})",
                file="Dockerfile",
                fix="read the build log above; a failing `pip install` usually means a "
                "dependency has no Linux wheel for Python 3.11",
            )
        return iidfile.read_text().strip()


def tag(image: str, reference: str) -> None:
    _run([docker_binary(), "tag", image, reference], f"docker tag {reference}")


def push(reference: str) -> None:
    completed = subprocess.run([docker_binary(), "push", reference], stdout=log_stream())
    if completed.returncode != 0:
        registry = reference.split("/", 1)[0]
        raise BackendError(
            f"docker push {reference} failed (exit {completed.returncode})",
            key="--push",
            fix=f"log in first (ECR: `stainless container login {registry}`) and make sure "
            "the repository exists",
        )


# 123456789012.dkr.ecr.eu-west-1.amazonaws.com: the account is the registry id.
_ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$")


def ecr_login(registry: str, region: str | None = None, registry_id: str | None = None) -> None:
    """`docker login` to ``registry`` with a 12-hour ECR token (boto3, the usual AWS credential
    chain; AWS_ENDPOINT_URL points it elsewhere). The token goes to docker on stdin and is
    never printed; docker keeps it in its own config (or credential helper)."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        raise MissingExtraError("boto3", "aws", "Logging in to ECR") from None
    host = registry.split("/", 1)[0]
    match = _ECR_HOST.match(host)
    region = region or (match.group(2) if match else None)
    registry_id = registry_id or (match.group(1) if match else None)
    try:
        ecr = boto3.client("ecr", region_name=region)
        answer = ecr.get_authorization_token(
            **({"registryIds": [registry_id]} if registry_id else {})
        )
    except (BotoCoreError, ClientError) as exc:
        raise BackendError(
            f"cannot get an ECR login token for {host}: {exc}",
            key="registry",
            fix="check AWS credentials and region (AWS_REGION), and that the caller may call "
            "ecr:GetAuthorizationToken",
        ) from None
    token = base64.b64decode(answer["authorizationData"][0]["authorizationToken"]).decode()
    username, _, password = token.partition(":")
    login(host, username, password)


def login(registry: str, username: str, password: str) -> None:
    completed = subprocess.run(
        [docker_binary(), "login", "--username", username, "--password-stdin", registry],
        input=password,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise BackendError(
            f"docker login {registry} failed (exit {completed.returncode})",
            key="registry",
            found=completed.stderr.strip()[-300:],
            fix="check the registry address and that the AWS account owns it",
        )


def _run(command: list[str], what: str) -> None:
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise BackendError(f"{what} failed", found=completed.stderr.strip()[-300:])


def log_stream() -> TextIO | None:
    """Where child output goes: our stderr, so stdout keeps only the result (the image id)."""
    try:
        sys.stderr.flush()
        sys.stderr.fileno()
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return None  # e.g. under click's test runner: inherit the real stderr
    return sys.stderr
