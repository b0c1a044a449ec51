"""``secretsmanager://SECRET_ID[#JSON_KEY][?region=R]``: AWS Secrets Manager (boto3;
``pip install 'stainless-ml[aws]'``). The caller's IAM identity needs
``secretsmanager:GetSecretValue`` on the secret (and ``kms:Decrypt`` if it uses a
customer-managed key)."""

from __future__ import annotations

import json

from stainless.backends.secrets import SecretRef
from stainless.backends.secrets.aws_store import AwsSecretStore
from stainless.core.errors import BackendError


class SecretsManagerStore(AwsSecretStore):
    service = "secretsmanager"
    scheme = "secretsmanager"
    label = "Secrets Manager"
    missing = "the secret"
    permission = "secretsmanager:GetSecretValue"

    def get(self, ref: SecretRef) -> str:
        answer = self._fetch(ref, lambda client: client.get_secret_value(SecretId=ref.name))
        text = answer.get("SecretString")
        if text is None:
            raise BackendError(
                f"{ref.variable}: secret {ref.name} holds binary data, not text",
                file="model.yaml",
                key=ref.key,
                fix="store the value as a secret string (or a JSON object of strings)",
            )
        return text if ref.field is None else _field(text, ref)


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
