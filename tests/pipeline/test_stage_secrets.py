"""Secrets reach a stage's own process, from moto's Secrets Manager and SSM, and go nowhere
else: not the parent's environment, not the logs, not the artifact store."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import boto3
import pytest
import yaml
from stainless.pipeline.runner import run_lifecycle
from stainless.project.config import load_config
from stainless.workspace import Workspace
from support.moto_server import moto_server

pytestmark = pytest.mark.integration
API_KEY = "sk-live-7f3a9-moto-only"
DB_PASSWORD = "pw-Qm4!moto-only"

HOOK = """
import hashlib
import logging
import os

_original = preprocess


def preprocess(ctx):
    # The stage sees both secrets in its own environment (compared by hash: never written).
    for name, digest in {digests!r}.items():
        value = os.environ.get(name, "")
        if hashlib.sha256(value.encode()).hexdigest() != digest:
            raise RuntimeError(f"{{name}} did not reach the stage")
    # A careless log line: masked by the framework.
    logging.getLogger("preprocess").warning("calling the API with %s", os.environ["MODEL_API_KEY"])
    return _original(ctx)
"""


@pytest.fixture
def project_dir(bake, tmp_path: Path) -> Path:
    target = tmp_path / "house-prices"
    shutil.copytree(bake(), target)
    config = yaml.safe_load((target / "model.yaml").read_text())
    config["secrets"] = {
        "MODEL_API_KEY": "secretsmanager://ml/model-api#key",
        "DB_PASSWORD": "ssm:///ml/db/password",
    }
    (target / "model.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    digests = {
        name: hashlib.sha256(value.encode()).hexdigest()
        for name, value in (("MODEL_API_KEY", API_KEY), ("DB_PASSWORD", DB_PASSWORD))
    }
    with (target / "preprocess.py").open("a") as hook:
        hook.write(HOOK.format(digests=digests))
    return target


def test_a_stage_subprocess_resolves_its_secrets_into_its_own_environment(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MODEL_API_KEY", raising=False)
    monkeypatch.delenv("DB_PASSWORD", raising=False)
    with moto_server(monkeypatch):
        boto3.client("secretsmanager").create_secret(
            Name="ml/model-api", SecretString=json.dumps({"key": API_KEY})
        )
        boto3.client("ssm").put_parameter(
            Name="/ml/db/password", Value=DB_PASSWORD, Type="SecureString"
        )
        project = Workspace(load_config(project_dir))
        report = run_lifecycle(project, "run-secrets", until="preprocess")
    output = capfd.readouterr()
    assert report.ok, report.error + output.err
    # The stage ran as a subprocess and had both values; the controller never fetched them.
    assert "MODEL_API_KEY" not in os.environ and "DB_PASSWORD" not in os.environ
    logs = output.out + output.err
    assert "calling the API with ***" in logs
    assert "secrets resolved into this process: DB_PASSWORD, MODEL_API_KEY" in logs
    assert API_KEY not in logs and DB_PASSWORD not in logs
    for path in (project_dir / ".stainless").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert API_KEY.encode() not in data and DB_PASSWORD.encode() not in data, path


def test_notifications_never_carry_a_secret_this_process_holds(project_dir: Path) -> None:
    from stainless.backends.notify.console import ConsoleNotifier
    from stainless.core import redact

    value = "sk-notify-would-leak-1234"
    redact.register(value)  # as export_secrets does for every value it fetches
    notifier = ConsoleNotifier()
    project = Workspace(load_config(project_dir), notifier_override=notifier)
    project.notify(
        "stage_failed",
        f"preprocess failed: HTTP 401 for key {value}",
        "r1",
        fields={"stage": "preprocess", "error": f"bad key {value}", "attempt": 2},
    )
    [event] = notifier.sent
    assert event.title == "preprocess failed: HTTP 401 for key ***"
    assert event.fields == {"stage": "preprocess", "error": "bad key ***", "attempt": 2}
