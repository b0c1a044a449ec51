"""The example model's image, built once and shared by the Docker tests of several modules
(tests/cli/test_container.py, tests/container/test_sagemaker_local_mode.py).

The first build downloads the wheels (a minute or two); later builds reuse
~/.cache/stainless/wheels and Docker's layer cache, so a second module that builds the same
project gets the same image id in seconds. Without a reachable engine the callers skip, unless
STAINLESS_REQUIRE_DOCKER=1 (CI) turns that into a failure.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

STAINLESS = [sys.executable, "-m", "stainless"]
TEST_TAG = "stainless-test/house-prices:latest"
LOCAL_BASE = "stainless-base:bookworm"
# Read at import: the suite's autouse fixture removes STAINLESS_* variables before each test.
BUILD_SETTINGS = {
    key: os.environ[key]
    for key in (
        "STAINLESS_WHEEL_CACHE",
        "STAINLESS_DOCKER",
        "STAINLESS_FRAMEWORK_WHEEL",
        "STAINLESS_TEST_BASE_IMAGE",
    )
    if os.environ.get(key)
}
LEAKED_FILES = (".env", "deploy.pem", "keys/rsa.key")
REQUIRE_DOCKER = os.environ.get("STAINLESS_REQUIRE_DOCKER") == "1"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    return {**env, **BUILD_SETTINGS, "STAINLESS_LOG_FORMAT": "plain", **extra}


def docker_or_skip() -> None:
    from stainless.container.docker_engine import ensure_reachable
    from stainless.core.errors import BackendError

    try:
        ensure_reachable(timeout_s=15)
    except BackendError as exc:
        reason = f"no Docker engine: {exc.render()}"
        if REQUIRE_DOCKER:
            pytest.fail(f"STAINLESS_REQUIRE_DOCKER=1 but {reason}")
        pytest.skip(reason)


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def base_image() -> str | None:
    """The local Debian base in CI (no Docker Hub there), else the Dockerfile's default."""
    if BUILD_SETTINGS.get("STAINLESS_TEST_BASE_IMAGE"):
        return BUILD_SETTINGS["STAINLESS_TEST_BASE_IMAGE"]
    return LOCAL_BASE if docker("image", "inspect", LOCAL_BASE).returncode == 0 else None


@dataclass(frozen=True)
class Built:
    project: Path
    image_id: str
    seconds: float
    base: str | None
    tag: str = TEST_TAG


def build_example_image(out: Path) -> Built:
    """Bake the example project into ``out``, preprocess run ``r1`` with our pipeline (its
    Parquet splits feed the training channels) and build its image with `stainless container
    build`."""
    docker_or_skip()
    from cookiecutter.main import cookiecutter
    from stainless.project.lock import write_lock
    from stainless.project.template import template_dir

    project = Path(cookiecutter(str(template_dir()), no_input=True, output_dir=str(out)))
    write_lock(project)  # as `stainless new` does: the image installs these exact versions
    # Credentials a developer may keep next to the code: the ignore files keep them out.
    for leaked in LEAKED_FILES:
        (project / leaked).parent.mkdir(parents=True, exist_ok=True)
        (project / leaked).write_text("not-for-the-image\n")
    prep = subprocess.run(
        [*STAINLESS, "preprocess", "--run-id", "r1"],
        cwd=project,
        env=clean_env(),
        capture_output=True,
        text=True,
    )
    assert prep.returncode == 0, prep.stderr[-2000:]
    command = [*STAINLESS, "container", "build", "-C", str(project), "--tag", TEST_TAG, "--json"]
    chosen = base_image()
    if chosen:
        command += ["--base-image", chosen]
    started = time.monotonic()
    result = subprocess.run(command, env=clean_env(), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    report = json.loads(result.stdout)
    assert report["image_id"].startswith("sha256:") and report["tag"] == TEST_TAG
    return Built(project, report["image_id"], time.monotonic() - started, chosen)


def split_file(project: Path, split: str, run_id: str = "r1") -> Path:
    """A Parquet split `stainless preprocess` wrote for ``run_id``."""
    return project / ".stainless" / "store" / "runs" / run_id / "datasets" / f"{split}.parquet"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def docker_host_address() -> str:
    """An address of this machine that the containers reach (127.0.0.1 inside one is the
    container): the default bridge's gateway, often left implicit: then docker0's own address."""
    gateway = docker(
        "network", "inspect", "bridge", "-f", "{{(index .IPAM.Config 0).Gateway}}"
    ).stdout.strip()
    if not gateway:
        shown = subprocess.run(
            ["ip", "-4", "-o", "addr", "show", "dev", "docker0"], capture_output=True, text=True
        ).stdout
        gateway = (re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", shown) or [""])[0]
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", gateway), f"no docker0 address: {gateway!r}"
    return gateway
