"""``secretsmanager://SECRET_ID[#JSON_KEY][?region=R]``: AWS Secrets Manager (boto3;
``pip install 'stainless-ml[aws]'``). The caller's IAM identity needs
``secretsmanager:GetSecretValue`` on the secret (and ``kms:Decrypt`` if it uses a
customer-managed key)."""

from __future__ import annotations

import json
from typing import Any

from stainless.backends.aws import client_config
from stainless.backends.secrets import SecretRef
from stainless.core.errors import BackendError, MissingExtraError


class SecretsManagerStore:
    def __init__(self) -> None:
        self._clients: dict[str | None, Any] = {}

    def get(self, ref: SecretRef) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._client(ref.region).get_secret_value(SecretId=ref.name)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise BackendError(
                f"{ref.variable}: Secrets Manager refused {ref.raw}: "
                f"{error.get('Code', '?')}: {error.get('Message', '')}",
                file="model.yaml",
                key=ref.key,
                fix="create the secret, or give this process's IAM role "
                "secretsmanager:GetSecretValue on it (docs/production.md)",
            ) from None
        except BotoCoreError as exc:
            raise BackendError(
                f"{ref.variable}: cannot reach Secrets Manager for {ref.raw}: {exc}",
                key=ref.key,
                fix="check the AWS region and credentials of this process",
            ) from None
        text = answer.get("SecretString")
        if text is None:
            raise BackendError(
                f"{ref.variable}: secret {ref.name} holds binary data, not text",
                file="model.yaml",
                key=ref.key,
                fix="store the value as a secret string (or a JSON object of strings)",
            )
        return text if ref.field is None else _field(text, ref)

    def _client(self, region: str | None) -> Any:
        if region not in self._clients:
            try:
                import boto3
            except ImportError:
                raise MissingExtraError("boto3", "aws", "secretsmanager:// secrets") from None
            self._clients[region] = boto3.client(
                "secretsmanager", region_name=region, config=client_config()
            )
        return self._clients[region]


def _field(text: str, ref: SecretRef) -> str:
    """One key of a JSON secret. Errors name the keys present, never a value."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if not isinstance(document, dict):
        raise BackendError(
            f"{ref.variable}: secret {ref.name} is not a JSON object, so it has no key "
            f"{ref.field!r}",
            file="model.yaml",
            key=ref.key,
            fix=f"drop '#{ref.field}' to use the whole secret string, or store a JSON object",
        )
    value = document.get(ref.field)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        keys = ", ".join(sorted(map(str, document))) or "none"
        raise BackendError(
            f"{ref.variable}: secret {ref.name} has no text or number under {ref.field!r}",
            file="model.yaml",
            key=ref.key,
            expected=f"one of its keys: {keys}",
            fix="fix the key after '#' in the reference, or add it to the secret",
        )
    return str(value)
