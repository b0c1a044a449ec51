"""The production rehearsal (docs/rehearsal.md): the rendered **aws** DAG run end to end by
`airflow dags test`, its SageMaker jobs and endpoint executed by the SageMaker SDK's local mode.

Four processes, all real, on one machine:

- Airflow 3 (.venv-airflow) runs the DAG; its tasks use boto3 exactly as on AWS, with
  ``AWS_ENDPOINT_URL`` at a moto server and ``AWS_ENDPOINT_URL_SAGEMAKER`` at the local-mode
  gateway;
- the gateway (``python -m stainless.backends.sagemaker_local_gateway`` in .venv-sagemaker:
  local mode cannot live in Airflow's venv, it pins packaging<25 and Airflow 3 needs >=25) runs
  the training/processing jobs and the endpoint as containers of the model's image through local
  mode, and forwards the model registry's model-package calls to moto;
- moto (S3, Secrets Manager, SageMaker model packages, CloudWatch, Application Auto Scaling) and
  the Slack stub listen on the Docker bridge's gateway, which this process, Airflow and the
  containers all reach. The jobs and the endpoint read the Slack token from moto's Secrets
  Manager themselves (model.yaml ``secrets:``), never from their definitions.

The first version is trained in a container, evaluated (there is no production yet), decided,
deployed to the local-mode endpoint, rolled out and promoted; a second run evaluates its
candidate against that production version inside the evaluation job and is rejected. Local mode
serves one variant and has no ``update_endpoint``, so a promoted second version's canary (two
variants, weights) is not rehearsed here; tests/backends/endpoints/test_sagemaker.py covers it with
botocore's Stubber. Local mode does not write a DataCaptureConfig's records either: the
rehearsal's model.yaml sets ``hosting.data_capture: server``, and the records checked in S3 are
our model server's own capture.

The second test runs a Snowflake preprocess as a local-mode processing job: fakesnow's server
(.venv-snowflake) checks a password that only moto's Secrets Manager holds.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
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
)
from support.moto_server import route_composite_alarms

pytestmark = [
    pytest.mark.airflow,
    pytest.mark.docker,
    pytest.mark.sagemaker,
    pytest.mark.integration,
]
ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = ROOT / ".venv-airflow" / "bin" / "airflow"
SAGEMAKER_PYTHON = ROOT / ".venv-sagemaker" / "bin" / "python"
ROLE = "arn:aws:iam::123456789012:role/stainless-rehearsal"
IMAGE = "stainless-test/house-prices-rehearsal:latest"
BUCKET = "my-ml-artifacts"  # the template's aws store: s3://my-ml-artifacts/<slug>
MODEL = "house-prices"
SNOWFLAKE_ENV = "rehearsal-snowflake"
# The aws environment with the data in Snowflake; user and password by reference only.
SNOWFLAKE_ENVIRONMENT = f"""\
  {SNOWFLAKE_ENV}:
    data: snowflake://REHEARSAL/ANALYTICS/PUBLIC?warehouse=ML_WH&role=ML
    store: s3://{BUCKET}/{MODEL}
    registry: sagemaker://{MODEL}
    notify: slack://ml-models
    endpoint: sagemaker://{MODEL}
    secrets:
      SLACK_BOT_TOKEN: secretsmanager://stainless/slack#bot_token
      SNOWFLAKE_USER: secretsmanager://stainless/snowflake#user
      SNOWFLAKE_PASSWORD: secretsmanager://stainless/snowflake#password
"""
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "rehearsal",
    "AWS_SECRET_ACCESS_KEY": "rehearsal",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _require(path: Path, setup: str, flag: str) -> None:
    if not path.exists():
        reason = f"{path} not found: run `bash .ci/{setup}`"
        if os.environ.get(flag) == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def _clean_env(**extra: str) -> dict[str, str]:
    """No developer's AWS profile, Airflow or stainless settings reach the processes."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STAINLESS_", "AIRFLOW", "AWS_", "PYTEST_", "SLACK_", "SAGEMAKER_"))
    }
    return {**env, **CREDENTIALS, **extra}


def rehearsal_image(built: Built, folder: Path) -> Path:
    """The example project with the rehearsal's model.yaml, and its image: the cached example
    image plus that one file (seconds). Local mode writes no DataCaptureConfig records, so our
    server captures (every pair, written within a second) into the S3 store."""
    config = built.project / "model.yaml"
    text = config.read_text()
    assert "data_capture: sagemaker" in text
    text = text.replace("data_capture: sagemaker", "data_capture: server")
    text = text.replace("environments:\n", f"environments:\n{SNOWFLAKE_ENVIRONMENT}", 1)
    text += "\nserving:\n  capture_sample_rate: 1.0\n  capture_flush_seconds: 1\n"
    config.write_text(text)
    folder.mkdir()
    (folder / "model.yaml").write_text(text)
    (folder / "Dockerfile").write_text(
        f"FROM {built.tag}\nCOPY model.yaml /opt/program/model.yaml\n"
    )
    done = docker("build", "-q", "-t", IMAGE, str(folder), timeout=300)
    assert done.returncode == 0, done.stderr
    return built.project


@dataclass
class Services:
    moto: str  # on the Docker host address: this process, Airflow and containers reach it
    slack: Any  # SlackStub
    gateway: str
    local_root: Path
    log: Path  # the gateway's and the containers' output

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-8000:]


def _start_gateway(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The gateway, its output (and the containers', through docker-compose) in ``log``."""
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(SAGEMAKER_PYTHON), "-m", "stainless.backends.sagemaker_local_gateway"]
            + ["--upstream", env["AWS_ENDPOINT_URL"]],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if match := re.search(r"listening on (http://\S+)", log.read_text()):
            return process, match.group(1)
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise AssertionError(f"the gateway did not start: {log.read_text()[-3000:]}")


def _leftover_containers(root: Path) -> list[str]:
    """Containers local mode made under ``root`` (docker-compose labels their folder)."""
    found = []
    for container in docker("ps", "-aq").stdout.split():
        inspected = json.loads(docker("inspect", container).stdout or "[]")
        labels = (inspected[0]["Config"].get("Labels") or {}) if inspected else {}
        if labels.get("com.docker.compose.project.working_dir", "").startswith(f"{root}/"):
            found.append(container)
    return found


@pytest.fixture
def services(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    from moto.server import ThreadedMotoServer
    from stainless.testing.slack_stub import SlackStub

    _require(AIRFLOW, "airflow-setup.sh", "STAINLESS_REQUIRE_AIRFLOW")
    _require(SAGEMAKER_PYTHON, "sagemaker-setup.sh", "STAINLESS_REQUIRE_SAGEMAKER")
    docker_or_skip()
    for key, value in CREDENTIALS.items():  # this process's own boto3 clients
        monkeypatch.setenv(key, value)
    route_composite_alarms(monkeypatch)  # the endpoint's SLO alarms (moto's CloudWatch)

    host = docker_host_address()
    moto = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    moto.start()
    moto_url = "http://{}:{}".format(*moto.get_host_and_port())
    # moto's state is per process: start empty.
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"))
    slack = SlackStub(host=host).start()
    root = tmp_path / "local-mode"
    root.mkdir()
    gateway_env = _clean_env(
        AWS_ENDPOINT_URL=moto_url,
        STAINLESS_SAGEMAKER_LOCAL_AWS_ENDPOINT_URL=moto_url,
        STAINLESS_SAGEMAKER_LOCAL_ROOT=str(root),
        SLACK_API_URL=slack.base_url,
        SAGEMAKER_SUPPRESS_V2_WARNING="1",
    )
    log = tmp_path / "gateway.log"
    process, url = _start_gateway(gateway_env, log)
    try:
        yield Services(moto_url, slack, url, root, log)
    finally:
        process.send_signal(signal.SIGTERM)  # it stops the endpoint's container
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for container in _leftover_containers(root):
            docker("rm", "--force", "--volumes", container)
        docker("network", "rm", "sagemaker-local")  # fails harmlessly while others use it
        slack.stop()
        moto.stop()


def _aws(services: Services, name: str) -> Any:
    import boto3

    return boto3.client(name, endpoint_url=services.moto, region_name="us-east-1")


class AirflowRuns:
    """The model's aws DAG, rendered into a folder and run with `airflow dags test` (SQLite in
    a throw-away AIRFLOW_HOME); each call is one DAG run."""

    def __init__(self, project: Path, services: Services, base: Path) -> None:
        self.base = base
        dags = base / "dags"
        subprocess.run(
            [sys.executable, "-m", "stainless", "dags", "render", "-C", str(project)]
            + ["--out", str(dags), "--target", "aws", "--image", IMAGE, "--role-arn", ROLE]
            + ["--retries", "0", "--rollout-interval", "1"],
            check=True,
            env=_clean_env(),
            capture_output=True,
        )
        self.env = _clean_env(
            AIRFLOW_HOME=str(base / "airflow-home"),
            AIRFLOW__CORE__DAGS_FOLDER=str(dags),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AWS_ENDPOINT_URL=services.moto,
            AWS_ENDPOINT_URL_SAGEMAKER=services.gateway,
            SLACK_API_URL=services.slack.base_url,
            STAINLESS_SAGEMAKER_POLL_S="1",
        )
        migrate = subprocess.run(
            [str(AIRFLOW), "db", "migrate"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        self.count = 0

    def __call__(self) -> tuple[int, str, str]:
        """One run: its exit code, its output and the stainless run id."""
        from stainless.core.ids import sanitize_run_id

        done = subprocess.run(
            [str(AIRFLOW), "dags", "test", MODEL],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        output = done.stdout + done.stderr
        self.count += 1
        (self.base / f"airflow-dags-test-{self.count}.log").write_text(output)  # kept with tmp
        match = re.search(rf"DagRun Finished: dag_id={MODEL}, .*?run_id=([^,]+),", output)
        assert match, output[-6000:]
        return done.returncode, output, sanitize_run_id(match.group(1))


def _marker(services: Services, run_id: str, stage: str) -> dict[str, Any]:
    key = f"{MODEL}/runs/{run_id}/stages/{stage}.json"
    return dict(json.loads(_aws(services, "s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()))


def _versions(project: Path, services: Services) -> list[dict[str, Any]]:
    """What `stainless versions` says of the registry (SageMaker model packages on moto)."""
    listed = subprocess.run(
        [sys.executable, "-m", "stainless", "versions", "--json", "-C", str(project)]
        + ["--env", "aws"],
        env=_clean_env(AWS_ENDPOINT_URL=services.moto),
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr[-3000:]
    return list(json.loads(listed.stdout))


def _keys(services: Services, prefix: str) -> set[str]:
    pages = _aws(services, "s3").get_paginator("list_objects_v2")
    return {
        item["Key"]
        for page in pages.paginate(Bucket=BUCKET, Prefix=prefix)
        for item in page.get("Contents", [])
    }


def test_the_aws_dag_promotes_a_first_version_and_rejects_a_second_on_local_mode(
    services: Services, tmp_path: Path
) -> None:
    started = time.monotonic()
    project = rehearsal_image(build_example_image(tmp_path / "image"), tmp_path / "rehearsal")
    _aws(services, "s3").create_bucket(Bucket=BUCKET)
    token = services.slack.token
    _aws(services, "secretsmanager").create_secret(
        Name="stainless/slack", SecretString=json.dumps({"bot_token": token})
    )

    airflow_run = AirflowRuns(project, services, tmp_path)
    returncode, output, run_id = airflow_run()
    print(f"rehearsal: image + airflow dags test in {time.monotonic() - started:.1f}s")
    assert returncode == 0, output[-6000:] + services.output()
    # The secret never reaches the logs: Airflow's, nor the jobs' and the endpoint's.
    assert token not in output and token not in services.log.read_text(errors="replace")

    # S3: what the jobs wrote (datasets, model.tar.gz) and every stage's marker.
    keys = _keys(services, f"{MODEL}/runs/{run_id}/")
    run = f"{MODEL}/runs/{run_id}"
    assert {f"{run}/datasets/train.parquet", f"{run}/datasets/validation.parquet"} <= keys
    assert any(key.endswith("model.tar.gz") for key in keys), sorted(keys)
    stages = ("preprocess", "train", "evaluate", "decide", "deploy", "finalize")
    assert {f"{run}/stages/{stage}.json" for stage in stages} <= keys, sorted(keys)
    assert _keys(services, f"{MODEL}/sagemaker/"), "no SageMaker job output (the training job's)"

    # The model registry: the version's model package is approved.
    sagemaker = _aws(services, "sagemaker")
    packages = sagemaker.list_model_packages(ModelPackageGroupName=MODEL)["ModelPackageSummaryList"]
    assert [p["ModelApprovalStatus"] for p in packages] == ["Approved"]

    # ...and stainless reads it back as the production version, trained by this run.
    [version] = _versions(project, services)
    assert (version["status"], version["run_id"]) == ("production", run_id)

    # The endpoint: in service on local mode, its variant a scalable target with our policy.
    gateway = _gateway_clients(services)
    described = gateway["sagemaker"].describe_endpoint(EndpointName=MODEL)
    assert described["EndpointStatus"] == "InService"
    scaling = _aws(services, "application-autoscaling")
    targets = scaling.describe_scalable_targets(ServiceNamespace="sagemaker")["ScalableTargets"]
    assert [(t["ResourceId"], t["MinCapacity"], t["MaxCapacity"]) for t in targets] == [
        (f"endpoint/{MODEL}/variant/v1", 1, 4)
    ]
    policies = scaling.describe_scaling_policies(ServiceNamespace="sagemaker")["ScalingPolicies"]
    assert [p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] for p in policies] == [
        600.0
    ]
    # ...and its SLO alarms in CloudWatch: burn-rate metric alarms and their composites.
    alarms = _aws(services, "cloudwatch").describe_alarms(
        AlarmNamePrefix=f"stainless-{MODEL}-v1-", AlarmTypes=["MetricAlarm", "CompositeAlarm"]
    )
    assert alarms["MetricAlarms"] and alarms["CompositeAlarms"], alarms

    # Captured records in S3: requests through SageMaker's runtime API (the gateway passes
    # them to local mode's container); our server writes them under <store>/capture/.
    from stainless.project.schemas import load_schemas

    example = load_schemas(project / "schemas.json").request_examples[0]
    answer = gateway["sagemaker-runtime"].invoke_endpoint(
        EndpointName=MODEL, Body=json.dumps(example), ContentType="application/json"
    )
    assert json.loads(answer["Body"].read())
    deadline, prefix = time.monotonic() + 30, f"{MODEL}/capture/{MODEL}/1/"
    while not (captured := _keys(services, prefix)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert captured, "no captured records in S3"
    body = _aws(services, "s3").get_object(Bucket=BUCKET, Key=sorted(captured)[0])["Body"]
    records = [json.loads(line) for line in body.read().splitlines()]
    assert [(r["version"], r["request"]) for r in records] == [("1", example)]

    # Slack: the training job announced the version from inside its container (its token read
    # from Secrets Manager there); the Airflow worker announced the promotion.
    texts = [message["text"] for message in services.slack.messages]
    assert any(re.search(r"Version 1 trained in", text) for text in texts), texts
    assert any(f"Run {run_id} finished: promoted" in text for text in texts), texts
    print(f"rehearsal: first version in {time.monotonic() - started:.1f}s")

    # A second run, on the same data: trained and evaluated in containers, the evaluation job
    # scoring production (v1, fetched from S3 by its registry entry) beside the candidate;
    # no better, so decide rejects it and the endpoint is not touched (a promoted second
    # version would need update_endpoint, which local mode lacks: docs/rehearsal.md).
    returncode, output, second = airflow_run()
    assert returncode == 0, output[-6000:] + services.output()
    evaluation = _marker(services, second, "evaluate")
    assert evaluation["production"]["version"] == 1 and evaluation["production"]["value"]
    assert _marker(services, second, "decide")["action"] == "reject"
    statuses = {v["version"]: v["status"] for v in _versions(project, services)}
    assert statuses == {1: "production", 2: "rejected"}
    packages = sagemaker.list_model_packages(ModelPackageGroupName=MODEL)["ModelPackageSummaryList"]
    assert sorted(p["ModelApprovalStatus"] for p in packages) == ["Approved", "Rejected"]
    texts = [message["text"] for message in services.slack.messages]
    assert any(f"Run {second} finished: not promoted" in text for text in texts), texts
    print(f"rehearsal: whole test in {time.monotonic() - started:.1f}s")


def _gateway_clients(services: Services) -> dict[str, Any]:
    import boto3

    return {
        name: boto3.client(name, endpoint_url=services.gateway, region_name="us-east-1")
        for name in ("sagemaker", "sagemaker-runtime")
    }


# -- a Snowflake preprocess in a local-mode processing job ----------------------------------------

SNOWFLAKE_PYTHON = ROOT / ".venv-snowflake" / "bin" / "python"
FAKESNOW = ROOT / "tests" / "support" / "fakesnow_server.py"
SNOWFLAKE_IMAGE = "stainless-test/house-prices-rehearsal-snowflake:latest"
WHEELS = Path.home() / ".cache" / "stainless" / "rehearsal-snowflake-wheels"
# Run in .venv-snowflake: the houses table, filled through the real connector as a warehouse
# team would (credentials from the environment, the connection from stainless's own settings).
LOAD_HOUSES = """
import csv, sys
import snowflake.connector
from stainless.backends.data.snowflake_settings import SnowflakeSettings
from stainless.core.uris import parse_uri

rows = list(csv.DictReader(open(sys.argv[2])))[: int(sys.argv[3])]
settings = SnowflakeSettings.from_uri(parse_uri(sys.argv[1]))
with snowflake.connector.connect(**settings.connect_kwargs()) as conn:
    cursor = conn.cursor()
    types = {name: "VARCHAR" if name == "neighborhood" else "DOUBLE" for name in rows[0]}
    columns = ", ".join(f"{name} {kind}" for name, kind in types.items())
    cursor.execute(f"CREATE OR REPLACE TABLE houses ({columns})")
    marks = ", ".join("?" for _ in types)
    values = [tuple(None if v == "" else v for v in row.values()) for row in rows]
    cursor.executemany(f"INSERT INTO houses ({', '.join(types)}) VALUES ({marks})", values)
print(len(values))
"""


def snowflake_image(folder: Path) -> str:
    """The rehearsal image plus the Snowflake connector, as `stainless-ml[snowflake]` adds it to
    a Snowflake model's image (wheels downloaded once, installed without an index)."""
    WHEELS.mkdir(parents=True, exist_ok=True)
    downloaded = subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(WHEELS)]
        + ["--only-binary=:all:", "snowflake-connector-python>=3.6,<5"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert downloaded.returncode == 0, downloaded.stderr[-3000:]
    folder.mkdir()
    context = folder / "wheels"
    context.mkdir()
    for wheel in WHEELS.glob("*.whl"):
        (context / wheel.name).write_bytes(wheel.read_bytes())
    (folder / "Dockerfile").write_text(
        f"FROM {IMAGE}\nCOPY wheels/ /tmp/wheels/\n"
        "RUN /opt/venv/bin/python -m pip install --no-cache-dir --no-index "
        "--find-links /tmp/wheels 'snowflake-connector-python>=3.6,<5' && rm -rf /tmp/wheels\n"
    )
    done = docker("build", "-q", "-t", SNOWFLAKE_IMAGE, str(folder), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return SNOWFLAKE_IMAGE


@pytest.fixture
def fakesnow(services: Services, tmp_path: Path) -> Iterator[dict[str, str]]:
    """fakesnow's Snowflake server on the Docker host address, checking one user's password;
    yields what a client needs besides the credentials."""
    _require(SNOWFLAKE_PYTHON, "snowflake-setup.sh", "STAINLESS_REQUIRE_SNOWFLAKE")
    host = services.moto.split("//")[1].split(":")[0]
    user, password = "ML_REHEARSAL", f"pw-{os.urandom(12).hex()}"
    with (tmp_path / "fakesnow.log").open("w") as log:
        process = subprocess.Popen(
            [str(SNOWFLAKE_PYTHON), str(FAKESNOW)],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=_clean_env(
                FAKESNOW_HOST=host, FAKESNOW_EXPECT_USER=user, FAKESNOW_EXPECT_PASSWORD=password
            ),
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # {"port": N} once it listens
        assert line, (tmp_path / "fakesnow.log").read_text()[-3000:]
        yield {
            "SNOWFLAKE_HOST": host,
            "SNOWFLAKE_PORT": str(json.loads(line)["port"]),
            "SNOWFLAKE_PROTOCOL": "http",
            "user": user,
            "password": password,
        }
    finally:
        if process.stdout is not None:
            process.stdout.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_snowflake_preprocess_in_a_processing_job_reads_its_password_from_secrets_manager(
    services: Services, fakesnow: dict[str, str], tmp_path: Path
) -> None:
    """preprocess --env rehearsal-snowflake as a local-mode processing job (through the gateway,
    as the aws DAG starts it): the container resolves SNOWFLAKE_USER/PASSWORD from moto's
    Secrets Manager itself, logs in to fakesnow (which checks the password) and writes the splits
    to S3. The job's definition holds only where Snowflake is, never who logs in."""
    import pandas as pd

    project = rehearsal_image(build_example_image(tmp_path / "image"), tmp_path / "rehearsal")
    image = snowflake_image(tmp_path / "snowflake-image")
    user, password = fakesnow.pop("user"), fakesnow.pop("password")
    loaded = subprocess.run(
        [str(SNOWFLAKE_PYTHON), "-c", LOAD_HOUSES]
        # Fewer rows than the image's own data/houses.csv: the splits say where they came from.
        + ["snowflake://REHEARSAL/ANALYTICS/PUBLIC", str(project / "data" / "houses.csv"), "300"],
        env=_clean_env(SNOWFLAKE_USER=user, SNOWFLAKE_PASSWORD=password, **fakesnow),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    rows = int(loaded.stdout.split()[-1])
    _aws(services, "s3").create_bucket(Bucket=BUCKET)
    secrets = _aws(services, "secretsmanager")
    secrets.create_secret(
        Name="stainless/snowflake", SecretString=json.dumps({"user": user, "password": password})
    )
    secrets.create_secret(
        Name="stainless/slack", SecretString=json.dumps({"bot_token": services.slack.token})
    )

    sagemaker = _gateway_clients(services)["sagemaker"]
    run_id, job = "sf1", "house-prices-preprocess-snowflake-1"
    sagemaker.create_processing_job(
        ProcessingJobName=job,
        ProcessingResources={
            "ClusterConfig": {"InstanceCount": 1, "InstanceType": "local", "VolumeSizeInGB": 1}
        },
        AppSpecification={
            "ImageUri": image,
            "ContainerEntrypoint": ["stainless", "preprocess", "--run-id", run_id]
            + ["--env", SNOWFLAKE_ENV],
        },
        Environment={"STAINLESS_LOG_FORMAT": "plain", **fakesnow},
        RoleArn=ROLE,
    )
    deadline = time.monotonic() + 300
    while (described := sagemaker.describe_processing_job(ProcessingJobName=job))[
        "ProcessingJobStatus"
    ] == "InProgress" and time.monotonic() < deadline:
        time.sleep(1)
    assert described["ProcessingJobStatus"] == "Completed", services.output()

    s3 = _aws(services, "s3")
    prefix = f"{MODEL}/runs/{run_id}/datasets"
    frames = [
        pd.read_parquet(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))
        for key in (f"{prefix}/train.parquet", f"{prefix}/validation.parquet")
    ]
    assert rows == 300
    assert sum(len(frame) for frame in frames) == rows  # every row, read from Snowflake
    # Who logs in is in no job definition nor in any output.
    assert password not in json.dumps(described, default=str)
    assert password not in services.log.read_text(errors="replace")
