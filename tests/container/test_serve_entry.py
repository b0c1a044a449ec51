"""The SageMaker contract of the image, run outside Docker: STAINLESS_OPT_ML moves /opt/ml into
a temporary folder, everything else (the CLI entry point, training, the server) is real."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from stainless.container.serve_entry import (
    FAILURE_LIMIT,
    OPT_ML_ENV,
    OptMl,
    capture_store,
    port_from_env,
    read_hyperparameters,
    run,
    workers_from_env,
    write_failure,
)
from stainless.core.errors import ConfigError, HookError
from stainless.project.runtime import LoadedModel

STAINLESS = [sys.executable, "-m", "stainless"]


def test_hyperparameters_are_decoded_from_sagemaker_strings(tmp_path):
    path = tmp_path / "hyperparameters.json"
    path.write_text(json.dumps({"alpha": "0.5", "depth": "3", "fit": "true", "name": "ridge"}))
    assert read_hyperparameters(path) == {"alpha": 0.5, "depth": 3, "fit": True, "name": "ridge"}
    assert read_hyperparameters(tmp_path / "missing.json") == {}


@pytest.mark.parametrize("text", ["{not json", '["a list"]'])
def test_bad_hyperparameters_name_the_file(tmp_path, text):
    path = tmp_path / "hyperparameters.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match="hyperparameters.json"):
        read_hyperparameters(path)


def test_failure_file_is_bounded(tmp_path):
    opt = OptMl(tmp_path)
    write_failure(opt, "x" * 10_000)
    text = opt.failure_file.read_text()
    assert len(text.strip()) == FAILURE_LIMIT and text.strip().endswith("...")


def test_port_and_workers_come_from_the_environment():
    assert port_from_env({}) == 8080
    assert port_from_env({"SAGEMAKER_BIND_TO_PORT": "9001"}) == 9001
    assert workers_from_env({}) is None
    assert workers_from_env({"SAGEMAKER_MODEL_SERVER_WORKERS": "4"}) == 4
    with pytest.raises(ConfigError, match="SAGEMAKER_BIND_TO_PORT"):
        port_from_env({"SAGEMAKER_BIND_TO_PORT": "80a"})
    with pytest.raises(ConfigError, match="SAGEMAKER_MODEL_SERVER_WORKERS"):
        workers_from_env({"SAGEMAKER_MODEL_SERVER_WORKERS": "0"})


def test_unknown_command_is_a_usage_error(tmp_path, capsys):
    assert run(["trian"], lambda *a: None, tmp_path, {OPT_ML_ENV: str(tmp_path)}) == 2
    assert "train|serve" in capsys.readouterr().err


def broken_train(message: str):
    def train(opt, project_dir, environ):
        raise ValueError(message)

    return train


def test_a_crash_in_training_is_written_to_the_failure_file(tmp_path):
    environ = {OPT_ML_ENV: str(tmp_path)}
    assert run(["train"], broken_train("column 'price' is all NaN"), tmp_path, environ) == 1
    assert (tmp_path / "output" / "failure").read_text().strip() == (
        "ValueError: column 'price' is all NaN"
    )


def test_a_stainless_error_keeps_its_explanation_and_exit_code(tmp_path):
    def train(opt, project_dir, environ):
        raise HookError("train wrote no artifacts", file="train.py", fix="save the model")

    assert run(["train"], train, tmp_path, {OPT_ML_ENV: str(tmp_path)}) == HookError.exit_code
    failure = (tmp_path / "output" / "failure").read_text()
    assert "train.py: train wrote no artifacts. Fix: save the model" in failure


def test_sigterm_stops_training_and_says_so(tmp_path):
    def train(opt, project_dir, environ):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(10)  # never reached: the handler raises inside the sleep

    started = time.monotonic()
    assert run(["train"], train, tmp_path, {OPT_ML_ENV: str(tmp_path)}) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 5
    assert "SIGTERM" in (tmp_path / "output" / "failure").read_text()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # restored


def test_a_successful_run_removes_an_old_failure_file(tmp_path):
    opt = OptMl(tmp_path)
    write_failure(opt, "an earlier attempt failed")
    assert run(["train"], lambda *a: None, tmp_path, {OPT_ML_ENV: str(tmp_path)}) == 0
    assert not opt.failure_file.exists()


# --- the real entry point, in subprocesses, on a baked project -----------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def opt_ml_with_channels(project: Path, root: Path) -> OptMl:
    """Preprocess with the pipeline, then lay the splits out as SageMaker channels."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    done = subprocess.run(
        [*STAINLESS, "preprocess", "--run-id", "r1"], cwd=project, env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    opt = OptMl(root)
    for split in ("train", "validation"):
        channel = opt.channel(split)
        channel.mkdir(parents=True)
        source = project / ".stainless" / "store" / "runs" / "r1" / "datasets" / f"{split}.parquet"
        (channel / f"{split}.parquet").write_bytes(source.read_bytes())
    opt.hyperparameters_file.parent.mkdir(parents=True)
    opt.hyperparameters_file.write_text(json.dumps({"alpha": "2.5"}))
    return opt


def entrypoint_env(opt: OptMl, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    return {**env, OPT_ML_ENV: str(opt.root), "STAINLESS_LOG_FORMAT": "plain", **extra}


LOAD_MODEL_NEEDS_THE_SECRET = """

_load_model = load_model


def load_model(artifact_dir):
    # The endpoint container must have fetched the secret itself (compared by hash).
    import hashlib
    import os

    value = os.environ.get("MODEL_API_KEY", "").encode()
    if hashlib.sha256(value).hexdigest() != "{digest}":
        raise RuntimeError("MODEL_API_KEY did not reach this process")
    return _load_model(artifact_dir)
"""


@pytest.mark.integration
def test_train_then_serve_through_the_entry_point(bake, tmp_path, monkeypatch):
    """Also, as in SageMaker: the job and the container get no secret in their environment,
    only model.yaml's reference; each fetches it (from moto's Secrets Manager) before the hooks
    run, and never prints it."""
    import hashlib

    import boto3
    import yaml
    from support.moto_server import moto_server

    secret = "sk-container-only-31337"
    project = bake()
    config = yaml.safe_load((project / "model.yaml").read_text())
    config["secrets"] = {"MODEL_API_KEY": "secretsmanager://ml/model-api#key"}
    (project / "model.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    digest = hashlib.sha256(secret.encode()).hexdigest()
    with (project / "model.py").open("a") as model_py:
        model_py.write(LOAD_MODEL_NEEDS_THE_SECRET.replace("{digest}", digest))
    monkeypatch.delenv("MODEL_API_KEY", raising=False)
    with moto_server(monkeypatch):
        boto3.client("secretsmanager").create_secret(
            Name="ml/model-api", SecretString=json.dumps({"key": secret})
        )
        trained, output, opt = train_then_serve(project, tmp_path)
    for logs in (trained.stdout + trained.stderr, output):
        assert "secrets resolved into this process: MODEL_API_KEY" in logs
        assert secret not in logs
    monkeypatch.setenv("MODEL_API_KEY", secret)  # only now, for loading it in this process
    LoadedModel.from_bundle(opt.model_dir).self_test()


def train_then_serve(
    project: Path, tmp_path: Path
) -> tuple[subprocess.CompletedProcess[str], str, OptMl]:
    opt = opt_ml_with_channels(project, tmp_path / "opt-ml")
    (opt.model_dir / "stale.txt").parent.mkdir(parents=True)
    (opt.model_dir / "stale.txt").write_text("left from an earlier job")
    trained = subprocess.run(
        [*STAINLESS, "container", "entrypoint", "train"],
        cwd=project,
        env=entrypoint_env(opt, TRAINING_JOB_NAME="house-prices-2026-11-28"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert not (opt.model_dir / "stale.txt").exists()
    assert (opt.model_dir / "model.joblib").is_file()
    manifest = json.loads((opt.model_dir / ".stainless" / "manifest.json").read_text())
    assert manifest["run_id"] == "house-prices-2026-11-28"
    assert manifest["lineage"]["hyperparameters"] == {"alpha": 2.5}
    assert (opt.output_data_dir / "figures" / "coefficients.png").is_file()

    port = free_port()
    server = subprocess.Popen(
        [*STAINLESS, "container", "entrypoint", "serve"],
        cwd=project,
        env=entrypoint_env(opt, SAGEMAKER_BIND_TO_PORT=str(port)),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for_ping(f"http://127.0.0.1:{port}", server)
        example = json.loads((project / "schemas.json").read_text())["request"]["examples"][0]
        answer = httpx.post(f"http://127.0.0.1:{port}/invocations", json=example, timeout=10)
        assert answer.status_code == 200 and isinstance(answer.json()["prediction"], float)
        bad = httpx.post(f"http://127.0.0.1:{port}/invocations", json={"area_sqm": "big"})
        assert bad.status_code == 400
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=40)
    # uvicorn drains, then re-raises SIGTERM so the exit status tells who stopped it (as PID 1
    # in a container that re-raise is ignored and the exit code is 0).
    assert server.returncode in (0, -signal.SIGTERM), output[-3000:]
    assert "Application shutdown complete" in output
    return trained, output, opt


@pytest.mark.integration
def test_missing_channel_fails_with_the_reason(bake, tmp_path):
    project = bake()
    opt = OptMl(tmp_path / "opt-ml")
    failed = subprocess.run(
        [*STAINLESS, "container", "entrypoint", "train"],
        cwd=project,
        env=entrypoint_env(opt),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failed.returncode != 0
    assert "no Parquet files in the 'train' channel" in opt.failure_file.read_text()


def wait_for_ping(base: str, process: subprocess.Popen[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited before answering /ping"
        try:
            if httpx.get(f"{base}/ping", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base}/ping did not answer 200 within {timeout_s}s")


def test_the_server_captures_to_an_outside_store_unless_the_endpoint_does():
    from stainless.project.config import config_from_mapping

    document = {"name": "house-prices", "owner": "j", "target": "price", "metric": "rmse"}
    on_s3 = config_from_mapping({**document, "store": "s3://acme/house-prices"}, Path("/p"))
    local = config_from_mapping(document, Path("/p"))
    assert capture_store(on_s3, {}) == "s3://acme/house-prices"
    assert capture_store(on_s3, {"STAINLESS_CAPTURE": "off"}) is None  # SageMaker captures
    assert capture_store(local, {}) is None  # inside the container: nobody would read it
    assert capture_store(None, {}) is None
