"""stainless.backends.secrets.aws_store: what Secrets Manager and Parameter Store share, against
a real moto server: a client per region, refusals and unreachable AWS explained per store."""

from __future__ import annotations

import pytest
from stainless.backends.secrets import SecretRef
from stainless.backends.secrets.secretsmanager import SecretsManagerStore
from stainless.backends.secrets.ssm import ParameterStore
from stainless.core.errors import BackendError
from support.moto_server import moto_server

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("store", "reference", "permission"),
    [
        (SecretsManagerStore(), "secretsmanager://ml/absent", "secretsmanager:GetSecretValue"),
        (ParameterStore(), "ssm:///ml/absent", "ssm:GetParameter"),
    ],
)
def test_a_refusal_names_the_reference_the_store_and_the_permission(
    monkeypatch: pytest.MonkeyPatch, store, reference: str, permission: str
) -> None:
    ref = SecretRef.parse(reference, "DB_PASSWORD", "secrets.DB_PASSWORD")
    with moto_server(monkeypatch), pytest.raises(BackendError) as refused:
        store.get(ref)
    error = refused.value
    assert error.key == "secrets.DB_PASSWORD" and error.file == "model.yaml"
    assert error.message.startswith(f"DB_PASSWORD: {store.label} refused {reference}: ")
    assert permission in (error.fix or "")


def test_an_unreachable_aws_is_explained_and_clients_are_kept_per_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    store = ParameterStore()
    ref = SecretRef.parse("ssm:///ml/token?region=eu-west-1", "TOKEN", "secrets.TOKEN")
    with pytest.raises(BackendError) as unreachable:
        store.get(ref)
    assert "cannot reach Parameter Store for ssm:///ml/token" in unreachable.value.message
    assert "region and credentials" in (unreachable.value.fix or "")
    assert list(store._clients) == ["eu-west-1"]
    assert store._client("eu-west-1") is store._clients["eu-west-1"]
