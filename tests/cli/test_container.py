"""`stainless container build` and the image it builds, with real Docker.

The docker tests build one image per session (the first build downloads the wheels, a minute
or two; later builds reuse ~/.cache/stainless/wheels and Docker's layer cache) and run it the
way SageMaker does. Without a reachable engine they skip, unless STAINLESS_REQUIRE_DOCKER=1
(CI) turns that into a failure.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from stainless.project.schemas import load_schemas
from support.model_image import (
    Built,
    build_example_image,
    clean_env,
    docker,
    free_port,
    split_file,
)
from support.registry import docker_registry

STAINLESS = [sys.executable, "-m", "stainless"]
MOTO_ACCOUNT = "123456789012"  # moto's default account; its ECR password is "<account>-auth-token"


# --- without Docker ------------------------------------------------------------------------


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


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """One baked project, preprocessed by our pipeline, and its image."""
    return build_example_image(tmp_path_factory.mktemp("image"))


@pytest.fixture
def containers() -> Iterator[list[str]]:
    """Names of containers a test starts; all removed afterwards, whatever happened."""
    names: list[str] = []
    yield names
    for name in names:
        docker("rm", "--force", "--volumes", name)


def opt_ml(root: Path, project: Path, splits: tuple[str, ...] = ("train", "validation")) -> Path:
    """A host folder laid out like /opt/ml, with the permissions pytest gave it (0700 folders
    owned by whoever runs the tests): the image runs as root, as SageMaker's does."""
    for split in splits:
        channel = root / "input" / "data" / split
        channel.mkdir(parents=True)
        (channel / f"{split}.parquet").write_bytes(split_file(project, split).read_bytes())
    (root / "input" / "config").mkdir(parents=True, exist_ok=True)
    (root / "input" / "config" / "hyperparameters.json").write_text('{"alpha": "0.8"}')
    for folder in ("model", "output"):
        (root / folder).mkdir(parents=True, exist_ok=True)
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
def test_image_runs_as_root_with_the_contract_entry_point(built):
    config = json.loads(docker("image", "inspect", built.image_id).stdout)[0]["Config"]
    # SageMaker mounts channels and outputs owned by root and never chowns them: a USER line
    # breaks training and processing (tests/container/test_sagemaker_local_mode.py shows it).
    assert config["User"] in ("", "root", "0")
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
    command = [*STAINLESS, "container", "build", "-C", str(built.project), "--tag", built.tag]
    if built.base:
        command += ["--base-image", built.base]
    started = time.monotonic()
    again = subprocess.run(command, env=clean_env(), capture_output=True, text=True, timeout=600)
    seconds = time.monotonic() - started
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stdout.strip() == built.image_id  # same inputs, same image
    assert seconds < 90, f"a rebuild took {seconds:.0f}s (first build: {built.seconds:.0f}s)"


@pytest.mark.docker
@pytest.mark.integration
def test_login_then_build_push_reach_a_real_registry(built, tmp_path, monkeypatch):
    """CI's build-and-push-image job, command for command: `stainless container login` (an ECR
    token from moto's ECR) and `stainless container build --push`, against Debian's
    docker-registry on loopback demanding that token as ECR does."""
    from support.moto_server import moto_server

    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))  # our logins only
    with (
        moto_server(monkeypatch),
        docker_registry(
            tmp_path / "registry", users={"AWS": f"{MOTO_ACCOUNT}-auth-token"}
        ) as registry,
    ):
        command = [*STAINLESS, "container", "build", "-C", str(built.project)]
        command += ["--tag", "house-prices:abc123", "--push", registry, "--json"]
        if built.base:
            command += ["--base-image", built.base]
        refused = subprocess.run(command, env=clean_env(), capture_output=True, text=True)
        assert refused.returncode != 0
        assert f"stainless container login {registry}" in refused.stderr  # says what to do

        login = [*STAINLESS, "container", "login", registry, "--registry-id", MOTO_ACCOUNT]
        logged_in = subprocess.run(login, env=clean_env(), capture_output=True, text=True)
        assert logged_in.returncode == 0, logged_in.stderr[-3000:]
        assert f"{MOTO_ACCOUNT}-auth-token" not in logged_in.stdout + logged_in.stderr
        pushed = subprocess.run(command, env=clean_env(), capture_output=True, text=True)
        assert pushed.returncode == 0, pushed.stderr[-3000:]
        report = json.loads(pushed.stdout)
        reference = f"{registry}/house-prices:abc123"
        assert report["pushed"] == reference and report["image_id"] == built.image_id
        listing = httpx.get(
            f"http://{registry}/v2/house-prices/tags/list",
            auth=("AWS", f"{MOTO_ACCOUNT}-auth-token"),
            timeout=10,
        )
        assert listing.json() == {"name": "house-prices", "tags": ["abc123"]}
        # What SageMaker does with the URI: pull it (after forgetting the local tag).
        assert docker("rmi", reference).returncode == 0
        pulled = docker("pull", reference, timeout=300)
        assert pulled.returncode == 0, pulled.stderr
        inspected = json.loads(docker("image", "inspect", reference).stdout)[0]
        assert inspected["Id"] == built.image_id
        docker("rmi", reference)


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


@pytest.mark.docker
@pytest.mark.integration
def test_image_installs_exactly_the_lock(built):
    """Issue 13 item 7: the image runs the versions requirements.lock pins."""
    from packaging.utils import canonicalize_name
    from stainless.project.lock import lock_digest, pinned

    frozen = docker(
        "run", "--rm", "--network", "none", "--entrypoint", "/opt/venv/bin/pip",
        built.image_id, "freeze", "--all",
    )  # fmt: skip
    assert frozen.returncode == 0, frozen.stderr
    installed = {
        canonicalize_name(name): version
        for name, _, version in (line.partition("==") for line in frozen.stdout.split())
    }
    for pin in pinned(built.project):
        name, _, version = pin.partition("==")
        assert installed.get(canonicalize_name(name)) == version, pin
    labels = json.loads(docker("image", "inspect", built.image_id).stdout)[0]["Config"]["Labels"]
    assert labels["ai.stainless.requirements-lock-sha256"] == lock_digest(built.project)


@pytest.mark.docker
@pytest.mark.integration
def test_credential_files_stay_out_of_the_image(built):
    found = docker(
        "run", "--rm", "--entrypoint", "find", built.image_id, "/opt/program",
        "(", "-name", ".env", "-o", "-name", "*.pem", "-o", "-name", "*.key", ")",
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == ""
    assert (built.project / ".env").is_file()  # they were there to be copied
