"""stainless.workspace.workspace: a project opened for work, backends resolved lazily from
model.yaml, secrets loaded only by what does the work, notifications masked and never fatal."""

from __future__ import annotations

import html
import os
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest
from stainless.backends.notify.background import flush_notifications
from stainless.core.redact import register
from stainless.workspace import Workspace, open_workspace
from support.slack import notify_through


@pytest.fixture
def project_dir(bake: Callable[..., Path]) -> Path:
    return bake()


def test_backends_are_opened_only_when_used(project_dir: Path):
    workspace = open_workspace(project_dir)
    assert workspace.dir == project_dir and workspace.name == "house-prices"
    registry_file = project_dir / ".stainless" / "registry.db"
    assert not registry_file.exists()
    assert workspace.registry.list() == []
    assert registry_file.exists() and workspace.registry is workspace.registry  # opened once


def test_secrets_are_resolved_by_the_work_not_by_reading_the_config(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    model_yaml = project_dir / "model.yaml"
    model_yaml.write_text(model_yaml.read_text() + "\nsecrets:\n  DB_TOKEN: env://CI_DB_TOKEN\n")
    monkeypatch.setenv("CI_DB_TOKEN", "tok-" + secrets.token_hex(8))
    monkeypatch.setenv("DB_TOKEN", "")  # so that undoing the test removes what it resolves
    monkeypatch.delenv("DB_TOKEN")
    workspace = open_workspace(project_dir)
    assert workspace.config.name == "house-prices"
    assert "DB_TOKEN" not in os.environ  # reading the config resolves nothing
    workspace.open_data().close()
    assert os.environ["DB_TOKEN"] == os.environ["CI_DB_TOKEN"]


def test_a_notification_never_carries_a_secret(
    project_dir: Path, slack_stub, monkeypatch: pytest.MonkeyPatch
):
    notify_through(slack_stub, monkeypatch)
    workspace: Workspace = open_workspace(project_dir)
    leaked = "pw-" + secrets.token_hex(10)
    register(leaked)
    workspace.notify("stage_failed", f"login failed with {leaked}", "run-1",
                     fields={"error": f"password={leaked}", "rows": 3})  # fmt: skip
    flush_notifications(workspace.notifier, timeout_s=10)
    [message] = slack_stub.messages
    text = html.unescape(str(message))
    assert leaked not in text and "login failed with ***" in text and "password=***" in text


def test_a_failing_notifier_does_not_fail_the_caller(
    project_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setenv("STAINLESS_NOTIFY", "slack://#ml-models")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    workspace = open_workspace(project_dir)
    workspace.notify("promoted", "v2 is production")  # no token: the notifier cannot be made
    assert "notifier failed for promoted" in caplog.text
