"""The model image run by AWS's own implementation of the container contract: the SageMaker
SDK's local mode (`sagemaker[local]`, 2.x), which runs training jobs, processing jobs and
endpoints as containers on the local Docker engine through docker-compose.

The SDK pins its own boto3, PyYAML and docker libraries, so it lives in .venv-sagemaker
(`bash .ci/sagemaker-setup.sh`). This module runs in two places:

- in the main .venv: `test_suite_passes_in_its_venv` runs this same module under
  .venv-sagemaker's pytest and asserts enough tests passed there. Skipped when .venv-sagemaker
  is absent, unless STAINLESS_REQUIRE_SAGEMAKER=1 (CI): then it fails;
- in .venv-sagemaker: everything else. The jobs are created through `LocalSagemakerClient`, the
  object local mode puts behind boto3's SageMaker API, with file:// inputs and outputs, so the
  mounts are exactly the ones local mode makes (the test never changes a permission or an
  owner). The SDK's telemetry is switched off and AWS_ENDPOINT_URL points at a closed port, so
  any call leaving the machine would fail the test.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import tarfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.model_image import (
    Built,
    build_example_image,
    docker,
    docker_host_address,
    docker_or_skip,
    split_file,
)
from support.venv_suite import assert_passes_in_venv

ROOT = Path(__file__).resolve().parents[2]
IN_SAGEMAKER_VENV = importlib.util.find_spec("sagemaker") is not None
MIN_PASSED = 8  # every local-mode test below
ROLE = "arn:aws:iam::123456789012:role/stainless-local-mode"
pytestmark = [
    pytest.mark.docker,
    pytest.mark.sagemaker,
    pytest.mark.integration,
    # The SDK leaves the pipes of its docker-compose processes open (local/image.py): not ours.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
inside_venv = pytest.mark.skipif(
    not IN_SAGEMAKER_VENV,
    reason="runs inside .venv-sagemaker (test_suite_passes_in_its_venv runs it there)",
)


def _clean_env() -> dict[str, str]:
    """No developer's AWS profile or backend overrides reach the inner run."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STAINLESS_", "AWS_", "PYTEST_", "SAGEMAKER_"))
        or k in ("STAINLESS_REQUIRE_DOCKER", "STAINLESS_WHEEL_CACHE", "STAINLESS_TEST_BASE_IMAGE")
    }


# -- main .venv: run the local-mode tests in their own venv ---------------------------------------


@pytest.mark.skipif(IN_SAGEMAKER_VENV, reason="this is .venv-sagemaker")
def test_suite_passes_in_its_venv(tmp_path: Path) -> None:
    assert_passes_in_venv(
        "sagemaker", __file__, tmp_path, _clean_env(), min_passed=MIN_PASSED, timeout=900,
        # The SDK's docker-compose pipes are still open at exit: not a failure of ours.
        pytest_args=("-p", "no:unraisableexception"), skip_when="no Docker engine",
    )  # fmt: skip


# -- .venv-sagemaker: the image under local mode --------------------------------------------------


@dataclass
class LocalMode:
    """Local mode's SageMaker and runtime clients, on one session."""

    session: Any
    root: Path  # container_root: where local mode makes the folders it mounts
    serving_port: int

    @property
    def client(self) -> Any:
        return self.session.sagemaker_client

    @property
    def runtime(self) -> Any:
        return self.session.sagemaker_runtime_client


def compose_containers(container_root: str) -> list[dict[str, Any]]:
    """The containers docker-compose made for one local-mode job or endpoint (running or
    exited), by the folder of their compose file."""
    return [
        c
        for c in ours(set(), Path(container_root).parent)
        if c["Config"]["Labels"]["com.docker.compose.project.working_dir"] == container_root
    ]


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Built:
    if not IN_SAGEMAKER_VENV:
        pytest.skip("runs inside .venv-sagemaker")
    return build_example_image(tmp_path_factory.mktemp("image"))


@pytest.fixture(scope="module")
def local_mode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalMode]:
    docker_or_skip()
    from stainless.backends.sagemaker_local import local_session

    root = tmp_path_factory.mktemp("local-mode")
    patcher = pytest.MonkeyPatch()
    # Any AWS call would go here and fail: local mode with file:// data must not make one.
    patcher.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    for key, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        patcher.setenv(key, value)
    session = local_session(container_root=root)
    try:
        yield LocalMode(session, root, session.config["local"]["serving_port"])
    finally:
        patcher.undo()
        # Local mode leaves exited containers (and its network) behind; only ours go (other
        # test runs on this engine use the same images).
        for leftover in ours(set(), root):
            docker("rm", "--force", "--volumes", leftover["Id"])
        docker("network", "rm", "sagemaker-local")  # fails harmlessly while others use it
        # ...and its docker-compose processes' pipes open: close them here, where this module's
        # filters apply, rather than at interpreter exit.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


def channel(folder: Path, project: Path, split: str) -> dict[str, Any]:
    """A file:// channel holding one split, as a data scientist's folder would."""
    folder.mkdir(parents=True)
    (folder / f"{split}.parquet").write_bytes(split_file(project, split).read_bytes())
    return {
        "ChannelName": split,
        "DataSource": {
            "FileDataSource": {
                "FileDataDistributionType": "FullyReplicated",
                "FileUri": f"file://{folder}",
            }
        },
    }


def train_job(
    local_mode: LocalMode,
    image_tag: str,
    name: str,
    channels: list[dict[str, Any]],
    out: Path,
    hyperparameters: dict[str, str] | None = None,
) -> None:
    local_mode.client.create_training_job(
        TrainingJobName=name,
        AlgorithmSpecification={"TrainingImage": image_tag, "TrainingInputMode": "File"},
        RoleArn=ROLE,
        InputDataConfig=channels,
        OutputDataConfig={"S3OutputPath": f"file://{out}"},
        ResourceConfig={"InstanceType": "local", "InstanceCount": 1, "VolumeSizeInGB": 1},
        StoppingCondition={"MaxRuntimeInSeconds": 600},
        HyperParameters=hyperparameters or {},
        Environment={"STAINLESS_LOG_FORMAT": "plain"},
    )


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {
            m.name.removeprefix("./"): tar.extractfile(m).read()  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


@dataclass(frozen=True)
class Trained:
    job: str
    model_data: str  # file://.../model.tar.gz, as DescribeTrainingJob reports it
    described: dict[str, Any]


@pytest.fixture(scope="module")
def trained(
    image: Built, local_mode: LocalMode, tmp_path_factory: pytest.TempPathFactory
) -> Trained:
    data = tmp_path_factory.mktemp("channels")
    out = tmp_path_factory.mktemp("training-output")
    job = "house-prices-train-1"
    channels = [channel(data / s, image.project, s) for s in ("train", "validation")]
    train_job(local_mode, image.tag, job, channels, out, {"alpha": "0.8"})
    described = local_mode.client.describe_training_job(TrainingJobName=job)
    return Trained(job, described["ModelArtifacts"]["S3ModelArtifacts"], described)


@inside_venv
def test_training_job_writes_the_model_tar_gz_sagemaker_expects(trained: Trained) -> None:
    assert trained.described["TrainingJobStatus"] == "Completed"
    assert trained.model_data.startswith("file://") and trained.model_data.endswith("model.tar.gz")
    files = members(Path(trained.model_data.removeprefix("file://")))
    # Artifacts at the root of model.tar.gz, as SageMaker extracts it into /opt/ml/model.
    assert "model.joblib" in files
    for name in ("model.py", "schemas.json", "manifest.json"):
        assert f".stainless/{name}" in files
    manifest = json.loads(files[".stainless/manifest.json"])
    assert manifest["model"] == "house-prices"
    assert manifest["lineage"]["hyperparameters"] == {"alpha": 0.8}  # decoded from "0.8"
    assert manifest["run_id"] == trained.job  # TRAINING_JOB_NAME, set by local mode
    outputs = members(Path(trained.model_data.removeprefix("file://")).with_name("output.tar.gz"))
    assert "failure" not in outputs
    assert any(name.startswith("data/") for name in outputs), sorted(outputs)  # metrics


def ours(before: set[str], root: Path) -> list[dict[str, Any]]:
    """Containers local mode started under ``root`` (its ``container_root``) since ``before``:
    docker-compose labels each with the folder of its compose file, which local mode makes
    there. Other test runs on this engine use the same images; their containers are not ours."""
    found = []
    for container in set(docker("ps", "-aq").stdout.split()) - before:
        inspected = json.loads(docker("inspect", container).stdout or "[]")
        labels = (inspected[0]["Config"].get("Labels") or {}) if inspected else {}
        folder = labels.get("com.docker.compose.project.working_dir", "")
        if folder.startswith(f"{root}/"):
            found.append(inspected[0])
    return found


def failed_training(
    local_mode: LocalMode, tag: str, channels: list[dict[str, Any]], out: Path
) -> tuple[int, str]:
    """Run a training job that must fail; its container's exit code and the failure file that
    local mode packed into output.tar.gz (as SageMaker uploads /opt/ml/output)."""
    before = set(docker("ps", "-aq").stdout.split())
    with pytest.raises(RuntimeError, match="exited with code"):
        train_job(local_mode, tag, f"failing-{time.monotonic_ns()}", channels, out)
    (container,) = ours(before, local_mode.root)
    outputs = members(out / "output.tar.gz")
    assert "failure" in outputs, sorted(outputs)
    return container["State"]["ExitCode"], outputs["failure"].decode()


@inside_venv
def test_a_missing_channel_fails_with_exit_code_4_and_the_failure_file(
    image: Built, local_mode: LocalMode, tmp_path: Path
) -> None:
    channels = [channel(tmp_path / "train", image.project, "train")]
    code, failure = failed_training(local_mode, image.tag, channels, tmp_path / "out")
    assert code == 4
    assert "no Parquet files in the 'validation' channel" in failure


@inside_venv
def test_a_broken_train_py_fails_with_exit_code_1_and_the_failure_file(
    image: Built, local_mode: LocalMode, tmp_path: Path
) -> None:
    # The same image with a train.py that raises: one small layer on top of the built image.
    context = tmp_path / "broken-image"
    context.mkdir()
    (context / "train.py").write_text(
        "def train(datasets, ctx):\n    raise RuntimeError('deliberately broken')\n"
    )
    (context / "Dockerfile").write_text(f"FROM {image.tag}\nCOPY train.py /opt/program/train.py\n")
    tag = "stainless-test/house-prices-broken:latest"
    built = docker("build", "-q", "-t", tag, str(context), timeout=300)
    assert built.returncode == 0, built.stderr
    channels = [channel(tmp_path / "data" / s, image.project, s) for s in ("train", "validation")]
    code, failure = failed_training(local_mode, tag, channels, tmp_path / "out")
    assert code == 1
    assert failure.strip() == "RuntimeError: deliberately broken"


@inside_venv
def test_processing_job_reads_its_input_and_writes_its_output(
    image: Built, local_mode: LocalMode, tmp_path: Path
) -> None:
    """A pipeline stage as a processing job (what compute/sagemaker.py starts): preprocess reads
    the CSV from a processing input and writes the store to a processing output."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "houses.csv").write_bytes((image.project / "data" / "houses.csv").read_bytes())
    out = tmp_path / "store"
    local_mode.client.create_processing_job(
        ProcessingJobName="house-prices-preprocess-1",
        AppSpecification={
            "ImageUri": image.tag,
            "ContainerEntrypoint": ["stainless", "preprocess", "--run-id", "p1"],
        },
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "local", "VolumeSizeInGB": 1}
        },
        Environment={
            "STAINLESS_DATA": "duckdb:///opt/ml/processing/input/data",
            "STAINLESS_STORE": "file:///opt/ml/processing/output/store",
            "STAINLESS_LOG_FORMAT": "plain",
        },
        ProcessingInputs=[
            {
                "InputName": "data",
                "S3Input": {
                    "S3Uri": f"file://{data}",
                    "LocalPath": "/opt/ml/processing/input/data",
                    "S3DataType": "S3Prefix",
                    "S3InputMode": "File",
                },
            }
        ],
        ProcessingOutputConfig={
            "Outputs": [
                {
                    "OutputName": "store",
                    "S3Output": {
                        "S3Uri": f"file://{out}",
                        "LocalPath": "/opt/ml/processing/output/store",
                        "S3UploadMode": "EndOfJob",
                    },
                }
            ]
        },
        RoleArn=ROLE,
    )
    described = local_mode.client.describe_processing_job(
        ProcessingJobName="house-prices-preprocess-1"
    )
    assert described["ProcessingJobStatus"] == "Completed"
    datasets = out / "runs" / "p1" / "datasets"
    for split in ("train", "validation"):
        assert (datasets / f"{split}.parquet").stat().st_size > 0, sorted(out.rglob("*"))


@dataclass(frozen=True)
class Served:
    name: str
    container: dict[str, Any]


@pytest.fixture(scope="module")
def endpoint(image: Built, local_mode: LocalMode, trained: Trained) -> Iterator[Served]:
    """The trained model.tar.gz behind a local-mode endpoint (create_model, endpoint config,
    create_endpoint: it returns once /ping answered 200)."""
    from sagemaker.local.local_session import LocalSagemakerClient

    name = "house-prices-local"
    local_mode.client.create_model(
        ModelName=f"{name}-v1",
        PrimaryContainer={
            "Image": image.tag,
            "ModelDataUrl": trained.model_data,
            "Environment": {"STAINLESS_MODEL_VERSION": "1"},
        },
        ExecutionRoleArn=ROLE,
    )
    local_mode.client.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": f"{name}-v1",
                "InitialInstanceCount": 1,
                "InstanceType": "local",
                "InitialVariantWeight": 1.0,
            }
        ],
    )
    local_mode.client.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    root = LocalSagemakerClient._endpoints[name].container.container_root
    (container,) = compose_containers(root)
    try:
        yield Served(name, container)
    finally:
        local_mode.client.delete_endpoint(EndpointName=name)


def invoke(local_mode: LocalMode, name: str, body: bytes, content_type: str) -> tuple[int, Any]:
    """Local mode's runtime client hands back 4xx/5xx bodies instead of raising ModelError."""
    answer = local_mode.runtime.invoke_endpoint(
        Body=body, EndpointName=name, ContentType=content_type, Accept="application/json"
    )
    response = answer["Body"]
    return response.status, json.loads(response.read() or b"null")


@inside_venv
def test_endpoint_serves_valid_and_rejects_bad_requests(
    image: Built, local_mode: LocalMode, endpoint: Served
) -> None:
    from stainless.project.schemas import load_schemas

    described = local_mode.client.describe_endpoint(EndpointName=endpoint.name)
    assert described["EndpointStatus"] == "InService"
    schemas = load_schemas(image.project / "schemas.json")
    for example in schemas.request_examples:
        status, body = invoke(
            local_mode, endpoint.name, json.dumps(example).encode(), "application/json"
        )
        assert status == 200, body
        assert schemas.response_validator.is_valid(body), body
    status, body = invoke(local_mode, endpoint.name, b'{"area_sqm": "big"}', "application/json")
    assert status == 400 and body["error"]["origin"] == "client", body
    status, body = invoke(local_mode, endpoint.name, b"area_sqm\n70\n", "text/csv")
    assert status == 415, body
    # The model folder is the one local mode extracted model.tar.gz into and mounted.
    mounts = {m["Destination"]: m for m in endpoint.container["Mounts"]}
    assert "/opt/ml/model" in mounts and mounts["/opt/ml/model"]["RW"]


@inside_venv
def test_endpoint_container_stops_cleanly_on_sigterm(endpoint: Served) -> None:
    container = endpoint.container["Id"]
    stopped_at = time.monotonic()
    assert docker("stop", "--time", "20", container).returncode == 0
    assert time.monotonic() - stopped_at < 15, "SIGTERM was not handled (docker had to kill)"
    state = json.loads(docker("inspect", container).stdout)[0]["State"]
    assert state["ExitCode"] == 0 and not state["OOMKilled"], state
    logs = docker("logs", container)
    assert "Application shutdown complete" in logs.stdout + logs.stderr


# -- our SageMaker compute backend, pointed at local mode (the rehearsal's jobs) ------------------


@dataclass(frozen=True)
class HostMoto:
    url: str  # what this process and the containers local mode starts both reach


@pytest.fixture(scope="module")
def host_moto() -> Iterator[HostMoto]:
    """A moto server on the Docker bridge's gateway: an address of this machine that the
    containers local mode starts can reach (127.0.0.1 inside them is the container)."""
    from moto.server import ThreadedMotoServer

    gateway = docker_host_address()
    server = ThreadedMotoServer(ip_address=gateway, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield HostMoto(f"http://{host}:{port}")
    finally:
        server.stop()


def stage_job(stage: str, run_id: str, **env: str) -> Any:
    from stainless.backends.compute import StageJob

    return StageJob(
        stage=stage,
        run_id=run_id,
        command=["stainless", stage, "--run-id", run_id],
        cwd=Path("."),
        cpus=1,
        memory_gb=1,
        timeout_s=600,
        env={"STAINLESS_RUN_ID": run_id, "STAINLESS_LOG_FORMAT": "plain", **env},
    )


@inside_venv
def test_compute_backend_runs_stages_as_local_mode_jobs_against_s3(
    image: Built, local_mode: LocalMode, host_moto: HostMoto, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compute/sagemaker.py with STAINLESS_SAGEMAKER_MODE=local: preprocess as a processing job
    and train as a training job (the image's `stainless <stage>` entry point), the store on S3
    (moto). What each stage wrote is in S3; a failing stage is reported as a failed job."""
    import boto3
    from stainless.backends.compute.sagemaker import SageMakerCompute

    monkeypatch.setenv("AWS_ENDPOINT_URL", host_moto.url)
    monkeypatch.setenv("STAINLESS_SAGEMAKER_LOCAL_ROOT", str(local_mode.root))
    monkeypatch.setenv("STAINLESS_SAGEMAKER_MODE", "local")
    monkeypatch.setenv("STAINLESS_SAGEMAKER_LOCAL_AWS_ENDPOINT_URL", host_moto.url)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="rehearsal")
    compute = SageMakerCompute(ROLE, image.tag, "s3://rehearsal/jobs", "house-prices", poll_s=0.1)
    store = {"STAINLESS_STORE": "s3://rehearsal/store"}

    for stage in ("preprocess", "train"):
        result = compute.run(stage_job(stage, "lm1", **store))
        assert result.returncode == 0, result.reason
    keys = {
        item["Key"]
        for item in s3.list_objects_v2(Bucket="rehearsal", Prefix="store/runs/lm1/")["Contents"]
    }
    assert {
        "store/runs/lm1/datasets/train.parquet",
        "store/runs/lm1/stages/preprocess.json",
    } <= keys
    assert "store/runs/lm1/stages/train.json" in keys, sorted(keys)
    assert any(key.endswith("model.tar.gz") for key in keys), sorted(keys)

    failed = compute.run(
        stage_job("preprocess", "lm2", STAINLESS_DATA="duckdb:///nowhere", **store)
    )
    assert failed.returncode == 1 and "failed" in (failed.reason or ""), failed


@inside_venv
def test_endpoint_backend_deploys_a_version_to_a_local_mode_endpoint(
    image: Built,
    trained: Trained,
    host_moto: HostMoto,
    local_mode: LocalMode,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """endpoints/sagemaker.py with STAINLESS_SAGEMAKER_MODE=local: the model.tar.gz on S3
    (moto) becomes a SageMaker model, an endpoint config (with its DataCaptureConfig) and a
    local-mode endpoint that answers; its variant is an Application Auto Scaling target with a
    target-tracking policy (moto). The backend's local session serves on a port of its own."""
    import boto3
    from stainless.backends.endpoints import Autoscaling, DataCapture, EndpointSettings, VariantSpec
    from stainless.backends.endpoints.sagemaker import SageMakerEndpoint

    monkeypatch.setenv("AWS_ENDPOINT_URL", host_moto.url)
    monkeypatch.setenv("STAINLESS_SAGEMAKER_LOCAL_ROOT", str(local_mode.root))
    monkeypatch.setenv("STAINLESS_SAGEMAKER_MODE", "local")
    monkeypatch.setenv("STAINLESS_SAGEMAKER_LOCAL_AWS_ENDPOINT_URL", host_moto.url)
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="models")
    archive = Path(trained.model_data.removeprefix("file://"))
    s3.put_object(Bucket="models", Key="house-prices/v1/model.tar.gz", Body=archive.read_bytes())
    settings = EndpointSettings(
        instance_type="ml.t2.medium",
        autoscaling=Autoscaling(min_instances=1, max_instances=3, invocations_per_instance=100),
        data_capture=DataCapture("s3://models/house-prices/capture", 100),
    )
    backend = SageMakerEndpoint(
        "house-prices-rehearsal", role=ROLE, image=image.tag, region=None, settings=settings
    )
    spec = VariantSpec("v1", 1, Path("."), 1.0, "s3://models/house-prices/v1/model.tar.gz")
    try:
        status = backend.up(spec)
        assert status.running and [v.name for v in status.variants] == ["v1"]
        assert [v.version for v in status.variants] == [1]
        config = backend.sagemaker.describe_endpoint_config(
            EndpointConfigName=backend._describe()["EndpointConfigName"]
        )
        assert config["DataCaptureConfig"]["DestinationS3Uri"] == "s3://models/house-prices/capture"
        import httpx
        from stainless.project.schemas import load_schemas

        schemas = load_schemas(image.project / "schemas.json")
        answer = httpx.post(f"{backend.url}/invocations", json=schemas.request_examples[0])
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-Stainless-Model-Version"] == "1"
        targets = boto3.client("application-autoscaling").describe_scalable_targets(
            ServiceNamespace="sagemaker"
        )["ScalableTargets"]
        assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [
            ("endpoint/house-prices-rehearsal/variant/v1", 1, 3)
        ]
        policies = boto3.client("application-autoscaling").describe_scaling_policies(
            ServiceNamespace="sagemaker"
        )["ScalingPolicies"]
        tracking = policies[0]["TargetTrackingScalingPolicyConfiguration"]
        assert tracking["TargetValue"] == 100.0
    finally:
        backend.down()
    assert not backend.status().running
