"""`stainless container build` and the image it builds, with real Docker.

The docker tests build one image per session (the first build downloads the wheels, a minute
or two; later builds reuse ~/.cache/stainless/wheels and Docker's layer cache) and run it the
way SageMaker does. Without a reachable engine they skip, unless STAINLESS_REQUIRE_DOCKER=1
(CI) turns that into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from stainless.container.build import extras_for
from stainless.container.wheelhouse import project_requirements, wheel_requirements
from stainless.project.config import load_config
from stainless.project.schemas import load_schemas

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


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    return {**env, **BUILD_SETTINGS, "STAINLESS_LOG_FORMAT": "plain", **extra}


# --- without Docker ------------------------------------------------------------------------


def test_extras_follow_the_backends_of_every_environment(bake):
    defaults = load_config(bake())
    assert extras_for(defaults) == {"aws", "slack"}  # environments.aws: s3, sagemaker, slack
    snowflake = load_config(bake(data_source="snowflake"))
    assert extras_for(snowflake) == {"aws", "slack", "snowflake"}


def test_project_requirements_never_include_stainless(bake):
    requirements = project_requirements(bake())
    assert requirements and not any(r.lower().startswith("stainless") for r in requirements)
    assert any(r.startswith("scikit-learn") for r in requirements)


def test_wheel_requirements_select_extras_and_linux(tmp_path):
    wheel = tmp_path / "stainless-9.9.9-py3-none-any.whl"
    metadata = "\n".join(
        [
            "Metadata-Version: 2.3",
            "Name: stainless",
            "Version: 9.9.9",
            "Requires-Dist: click>=8.1",
            "Requires-Dist: uvloop>=0.19; sys_platform != 'win32'",
            "Requires-Dist: pywin32; sys_platform == 'win32'",
            "Requires-Dist: boto3>=1.34; extra == 'aws'",
            "Requires-Dist: slack-sdk>=3.27; extra == 'slack'",
            "Requires-Dist: tomli; python_version < '3.11'",
        ]
    )
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("stainless-9.9.9.dist-info/METADATA", metadata)
    assert wheel_requirements(wheel, {"aws"}) == ["click>=8.1", "uvloop>=0.19", "boto3>=1.34"]
    assert "tomli" in wheel_requirements(wheel, set(), python_version="3.10")


def test_unreachable_docker_is_explained(bake):
    project = bake()
    result = subprocess.run(
        [*STAINLESS, "container", "build", "-C", str(project)],
        env=clean_env(DOCKER_HOST="unix:///nonexistent/docker.sock"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    if shutil.which("docker"):
        assert "unix:///nonexistent/docker.sock is not reachable" in result.stderr
        assert "DOCKER_HOST" in result.stderr and "start Docker" in result.stderr
    else:
        assert "the docker command is not installed" in result.stderr
    assert not (project / ".stainless" / "container").exists()  # failed before any download


def test_missing_dockerfile_is_explained(bake):
    project = bake()
    (project / "Dockerfile").unlink()
    result = subprocess.run(
        [*STAINLESS, "container", "build", "-C", str(project)],
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "no Dockerfile in the model repository" in result.stderr


# --- with Docker ---------------------------------------------------------------------------


def docker_or_skip() -> None:
    from stainless.container.docker_engine import ensure_reachable
    from stainless.core.errors import BackendError

    try:
        ensure_reachable(timeout_s=15)
    except BackendError as exc:
        reason = f"no Docker engine: {exc.render()}"
        if os.environ.get("STAINLESS_REQUIRE_DOCKER") == "1":
            pytest.fail(f"STAINLESS_REQUIRE_DOCKER=1 but {reason}")
        pytest.skip(reason)


def docker(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)


def base_image() -> str | None:
    """The local Debian base in CI (no Docker Hub there), else the Dockerfile's default."""
    if BUILD_SETTINGS.get("STAINLESS_TEST_BASE_IMAGE"):
        return BUILD_SETTINGS["STAINLESS_TEST_BASE_IMAGE"]
    return LOCAL_BASE if docker("image", "inspect", LOCAL_BASE).returncode == 0 else None


class Built:
    def __init__(self, project: Path, image_id: str, seconds: float, base: str | None) -> None:
        self.project = project
        self.image_id = image_id
        self.seconds = seconds
        self.base = base


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One baked project, preprocessed by our pipeline, and its image."""
    docker_or_skip()
    from cookiecutter.main import cookiecutter
    from stainless.project.template import template_dir

    out = tmp_path_factory.mktemp("image")
    project = Path(cookiecutter(str(template_dir()), no_input=True, output_dir=str(out)))
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


@pytest.fixture
def containers() -> Iterator[list[str]]:
    """Names of containers a test starts; all removed afterwards, whatever happened."""
    names: list[str] = []
    yield names
    for name in names:
        docker("rm", "--force", "--volumes", name)


def opt_ml(root: Path, project: Path, splits: tuple[str, ...] = ("train", "validation")) -> Path:
    """A host folder laid out like /opt/ml, writable by the image's unprivileged user."""
    datasets = project / ".stainless" / "store" / "runs" / "r1" / "datasets"
    for split in splits:
        channel = root / "input" / "data" / split
        channel.mkdir(parents=True)
        (channel / f"{split}.parquet").write_bytes((datasets / f"{split}.parquet").read_bytes())
    (root / "input" / "config").mkdir(parents=True, exist_ok=True)
    (root / "input" / "config" / "hyperparameters.json").write_text('{"alpha": "0.8"}')
    for folder in ("model", "output"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    for path in [root, *root.rglob("*")]:
        path.chmod(0o777 if path.is_dir() else 0o644)
    return root


def run_train(
    built: Built, root: Path, containers: list[str], *extra: str
) -> subprocess.CompletedProcess[str]:
    name = f"stainless-test-train-{uuid.uuid4().hex[:8]}"
    containers.append(name)
    return docker(
        "run", "--name", name, "--network", "none",
        "-v", f"{root / 'input'}:/opt/ml/input:ro",
        "-v", f"{root / 'model'}:/opt/ml/model",
        "-v", f"{root / 'output'}:/opt/ml/output",
        *extra, built.image_id, "train",
        timeout=300,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.docker
@pytest.mark.integration
def test_image_trains_and_serves_like_sagemaker(built, tmp_path, containers):
    root = opt_ml(tmp_path / "opt-ml", built.project)
    trained = run_train(built, root, containers)
    assert trained.returncode == 0, trained.stderr[-3000:]
    model_dir = root / "model"
    assert (model_dir / "model.joblib").is_file()
    for name in ("model.py", "schemas.json", "manifest.json"):
        assert (model_dir / ".stainless" / name).is_file()
    manifest = json.loads((model_dir / ".stainless" / "manifest.json").read_text())
    assert manifest["model"] == "house-prices"
    assert manifest["lineage"]["hyperparameters"] == {"alpha": 0.8}
    assert not (root / "output" / "failure").exists()

    port = free_port()
    name = f"stainless-test-serve-{uuid.uuid4().hex[:8]}"
    containers.append(name)
    started = docker(
        "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8080",
        "-e", "SAGEMAKER_MODEL_SERVER_WORKERS=2",
        "-v", f"{model_dir}:/opt/ml/model:ro", built.image_id, "serve",
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    base = f"http://127.0.0.1:{port}"
    wait_for_ping(base, name)
    schemas = load_schemas(built.project / "schemas.json")
    for example in schemas.request_examples:
        answer = httpx.post(f"{base}/invocations", json=example, timeout=10)
        assert answer.status_code == 200, answer.text
        assert schemas.response_validator.is_valid(answer.json()), answer.text
    bad = httpx.post(f"{base}/invocations", json={"area_sqm": "big"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["origin"] == "client"

    stopped_at = time.monotonic()
    assert docker("stop", "--time", "20", name).returncode == 0
    assert time.monotonic() - stopped_at < 15, "SIGTERM was not handled (docker had to kill)"
    state = json.loads(docker("inspect", name).stdout)[0]["State"]
    assert state["ExitCode"] == 0 and not state["OOMKilled"]
    assert "Application shutdown complete" in docker("logs", name).stderr


@pytest.mark.docker
@pytest.mark.integration
def test_broken_training_writes_the_failure_file(built, tmp_path, containers):
    root = opt_ml(tmp_path / "opt-ml", built.project)
    broken = tmp_path / "train.py"
    broken.write_text("def train(datasets, ctx):\n    raise RuntimeError('deliberately broken')\n")
    broken.chmod(0o644)
    failed = run_train(built, root, containers, "-v", f"{broken}:/opt/program/train.py:ro")
    assert failed.returncode == 1, failed.stderr[-3000:]
    assert (root / "output" / "failure").read_text().strip() == (
        "RuntimeError: deliberately broken"
    )
    assert not (root / "model" / ".stainless").exists()


@pytest.mark.docker
@pytest.mark.integration
def test_missing_channel_is_reported(built, tmp_path, containers):
    root = opt_ml(tmp_path / "opt-ml", built.project, splits=("train",))
    failed = run_train(built, root, containers)
    assert failed.returncode != 0
    assert "no Parquet files in the 'validation' channel" in (
        (root / "output" / "failure").read_text()
    )


@pytest.mark.docker
@pytest.mark.integration
def test_image_runs_as_an_unprivileged_user_with_the_contract_entry_point(built):
    config = json.loads(docker("image", "inspect", built.image_id).stdout)[0]["Config"]
    assert config["User"] == "model"
    assert config["Entrypoint"] == ["/opt/venv/bin/stainless", "container", "entrypoint"]
    assert "8080/tcp" in config["ExposedPorts"]
    assert config["Labels"]["org.opencontainers.image.title"] == "house-prices"
    listing = docker("run", "--rm", "--entrypoint", "ls", built.image_id, "-A", "/opt/program")
    assert listing.returncode == 0
    assert ".stainless" in listing.stdout.split()  # the writable work folder only...
    inside = docker(
        "run", "--rm", "--entrypoint", "find", built.image_id, "/opt/program/.stainless", "/tmp",
        "-name", "*.whl",
    )  # fmt: skip
    assert inside.stdout.strip() == ""  # ...and no wheelhouse left in the image


@pytest.mark.docker
@pytest.mark.integration
def test_a_rebuild_reuses_the_wheel_cache_and_layers(built):
    command = [*STAINLESS, "container", "build", "-C", str(built.project), "--tag", TEST_TAG]
    if built.base:
        command += ["--base-image", built.base]
    started = time.monotonic()
    again = subprocess.run(command, env=clean_env(), capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip() == built.image_id  # same inputs, same image
    assert seconds < 90, f"a rebuild took {seconds:.0f}s (first build: {built.seconds:.0f}s)"


def wait_for_ping(base: str, container: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        state = json.loads(docker("inspect", container).stdout)[0]["State"]
        if not state["Running"]:
            logs = docker("logs", container)
            raise AssertionError(f"the server exited: {(logs.stdout + logs.stderr)[-3000:]}")
        try:
            if httpx.get(f"{base}/ping", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    raise AssertionError(f"{base}/ping did not answer 200 within {timeout_s}s")
