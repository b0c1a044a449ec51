"""Secrets by reference, resolved from a real moto server (Secrets Manager, SSM Parameter Store)
with real boto3 clients; values never appear in errors."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator

import boto3
import pytest
from stainless.backends.secrets import SecretRef, child_environ, export_secrets, resolve_secrets
from stainless.core.errors import BackendError, StainlessError
from stainless.core.redact import redact
from support.moto_server import moto_server

pytestmark = pytest.mark.integration
PASSWORD = "pw-Zq8x!moto-only"
TOKEN = "xoxb-moto-token-123"


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    """One moto server for the module (the secrets are read-only for the tests)."""
    with pytest.MonkeyPatch.context() as monkeypatch, moto_server(monkeypatch):
        boto3.client("secretsmanager").create_secret(
            Name="ml/snowflake", SecretString=json.dumps({"user": "ML_BOT", "password": PASSWORD})
        )
        boto3.client("secretsmanager").create_secret(Name="ml/plain", SecretString=TOKEN)
        boto3.client("ssm").put_parameter(Name="/ml/slack/token", Value=TOKEN, Type="SecureString")
        yield


def test_each_scheme_resolves(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_RENAMED", "from-the-env")
    values = resolve_secrets(
        {
            "SNOWFLAKE_USER": "secretsmanager://ml/snowflake#user",
            "SNOWFLAKE_PASSWORD": "secretsmanager://ml/snowflake#password",
            "WHOLE": "secretsmanager://ml/plain",
            "SLACK_BOT_TOKEN": "ssm:///ml/slack/token",
            "RENAMED": "env://MY_RENAMED",
        }
    )
    assert values == {
        "SNOWFLAKE_USER": "ML_BOT",
        "SNOWFLAKE_PASSWORD": PASSWORD,
        "WHOLE": TOKEN,
        "SLACK_BOT_TOKEN": TOKEN,
        "RENAMED": "from-the-env",
    }


def test_export_sets_only_what_is_missing_and_child_processes_do_not_inherit_it(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SNOWFLAKE_PASSWORD", raising=False)
    monkeypatch.setenv("SNOWFLAKE_USER", "set-by-the-shell")
    refs = {
        "SNOWFLAKE_USER": "secretsmanager://ml/snowflake#user",
        "SNOWFLAKE_PASSWORD": "secretsmanager://ml/snowflake#password",
    }
    exported = export_secrets(refs)
    assert exported.resolved == ("SNOWFLAKE_PASSWORD",)
    assert exported.already_set == ("SNOWFLAKE_USER",)
    assert os.environ["SNOWFLAKE_PASSWORD"] == PASSWORD
    assert os.environ["SNOWFLAKE_USER"] == "set-by-the-shell"  # the environment wins
    child = child_environ()
    assert "SNOWFLAKE_PASSWORD" not in child and child["SNOWFLAKE_USER"] == "set-by-the-shell"
    assert export_secrets(refs).resolved == ()  # idempotent: nothing fetched twice


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("secretsmanager://ml/missing", "ResourceNotFoundException"),
        ("secretsmanager://ml/snowflake#passwd", "expected one of its keys: password, user"),
        ("secretsmanager://ml/plain#password", "is not a JSON object"),
        ("ssm:///ml/missing", "ParameterNotFound"),
        ("env://NOT_SET_ANYWHERE", "NOT_SET_ANYWHERE, which is not set"),
        ("vault://kv/x", "no secrets backend for scheme 'vault'"),
    ],
)
def test_errors_name_the_key_and_the_fix_but_never_a_value(
    aws: None, reference: str, message: str
) -> None:
    with pytest.raises(BackendError) as caught:
        resolve_secrets(
            {"SNOWFLAKE_PASSWORD": reference},
            {"SNOWFLAKE_PASSWORD": "environments.aws.secrets.SNOWFLAKE_PASSWORD"},
        )
    text = caught.value.render()
    assert message in text
    if not reference.startswith("vault"):
        assert "environments.aws.secrets.SNOWFLAKE_PASSWORD" in text and "Fix:" in text
    assert PASSWORD not in text and TOKEN not in text


def test_references_parse() -> None:
    ref = SecretRef.parse("secretsmanager://ml/db#password?region=eu-west-1", "X", "secrets.X")
    assert (ref.scheme, ref.name, ref.field, ref.region) == (
        "secretsmanager",
        "ml/db",
        "password",
        "eu-west-1",
    )
    assert SecretRef.parse("ssm:///a/b", "X", "k").name == "/a/b"


def test_resolved_values_are_masked_in_logs_errors_and_tracebacks(
    aws: None, caplog: pytest.LogCaptureFixture
) -> None:
    value = resolve_secrets({"T": "ssm:///ml/slack/token"})["T"]
    assert redact(f"token={value}") == "token=***"
    with caplog.at_level(logging.INFO):
        logging.getLogger("stainless.test").info("connecting with %s", value)
        try:
            raise RuntimeError(f"auth failed for {value}")
        except RuntimeError:
            logging.getLogger("stainless.test").exception("boom")
    assert value not in caplog.text and "connecting with ***" in caplog.text
    assert "auth failed for ***" in caplog.text
    assert value not in StainlessError(f"library said {value}").render()
