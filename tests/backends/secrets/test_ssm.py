"""``ssm:///NAME`` against a real moto server: plain and SecureString parameters (what every AWS
store shares: test_aws_store.py)."""

from __future__ import annotations

import boto3
import pytest
from stainless.backends.secrets import SecretRef
from stainless.backends.secrets.ssm import ParameterStore
from support.moto_server import moto_server

pytestmark = pytest.mark.integration


def test_parameters_are_read_and_secure_strings_decrypted(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_server(monkeypatch):
        client = boto3.client("ssm")
        client.put_parameter(Name="/ml/host", Value="db.internal", Type="String")
        client.put_parameter(Name="/ml/token", Value="xoxb-ssm-only", Type="SecureString")
        store = ParameterStore()
        host = SecretRef.parse("ssm:///ml/host", "DB_HOST", "secrets.DB_HOST")
        token = SecretRef.parse("ssm:///ml/token", "TOKEN", "secrets.TOKEN")
        assert store.get(host) == "db.internal"
        assert store.get(token) == "xoxb-ssm-only"
