"""``secretsmanager://`` against a real moto server: a whole secret string, one key of a JSON
secret (numbers read as text), and the secrets that hold no text there (what every AWS store
shares: test_aws_store.py)."""

from __future__ import annotations

import json

import boto3
import pytest
from stainless.backends.secrets import SecretRef
from stainless.backends.secrets.secretsmanager import SecretsManagerStore
from stainless.core.errors import BackendError
from support.moto_server import moto_server

pytestmark = pytest.mark.integration


def ref(reference: str) -> SecretRef:
    return SecretRef.parse(reference, "DB", "secrets.DB")


def test_a_secret_string_or_one_key_of_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with moto_server(monkeypatch):
        client = boto3.client("secretsmanager")
        client.create_secret(Name="ml/db", SecretString=json.dumps({"user": "bot", "port": 5432}))
        store = SecretsManagerStore()
        assert json.loads(store.get(ref("secretsmanager://ml/db")))["user"] == "bot"
        assert store.get(ref("secretsmanager://ml/db#user")) == "bot"
        assert store.get(ref("secretsmanager://ml/db#port")) == "5432"


def test_binary_data_and_nested_values_are_refused_naming_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with moto_server(monkeypatch):
        client = boto3.client("secretsmanager")
        client.create_secret(Name="ml/key", SecretBinary=b"\x00\x01")
        client.create_secret(Name="ml/nested", SecretString=json.dumps({"db": {"pw": "x"}}))
        store = SecretsManagerStore()
        with pytest.raises(BackendError) as binary:
            store.get(ref("secretsmanager://ml/key"))
        assert "holds binary data, not text" in binary.value.message
        assert binary.value.key == "secrets.DB" and binary.value.file == "model.yaml"
        with pytest.raises(BackendError) as nested:
            store.get(ref("secretsmanager://ml/nested#db"))
        assert "no text or number under 'db'" in nested.value.message
        assert nested.value.expected == "one of its keys: db"
