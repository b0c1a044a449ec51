"""``ssm:///PARAMETER/NAME[?region=R]``: an SSM Parameter Store parameter (SecureString values are
decrypted; boto3, ``pip install 'stainless-ml[aws]'``). The IAM identity needs
``ssm:GetParameter`` on it (and ``kms:Decrypt`` for a customer-managed key)."""

from __future__ import annotations

from typing import Any

from stainless.backends.aws import client_config
from stainless.backends.secrets import SecretRef
from stainless.core.errors import BackendError, MissingExtraError


class ParameterStore:
    def __init__(self) -> None:
        self._clients: dict[str | None, Any] = {}

    def get(self, ref: SecretRef) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            answer = self._client(ref.region).get_parameter(Name=ref.name, WithDecryption=True)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise BackendError(
                f"{ref.variable}: Parameter Store refused {ref.raw}: "
                f"{error.get('Code', '?')}: {error.get('Message', '')}",
                file="model.yaml",
                key=ref.key,
                fix="create the parameter (a SecureString), or give this process's IAM role "
                "ssm:GetParameter on it (docs/production.md)",
            ) from None
        except BotoCoreError as exc:
            raise BackendError(
                f"{ref.variable}: cannot reach Parameter Store for {ref.raw}: {exc}",
                key=ref.key,
                fix="check the AWS region and credentials of this process",
            ) from None
        return str(answer["Parameter"]["Value"])

    def _client(self, region: str | None) -> Any:
        if region not in self._clients:
            try:
                import boto3
            except ImportError:
                raise MissingExtraError("boto3", "aws", "ssm:// secrets") from None
            self._clients[region] = boto3.client("ssm", region_name=region, config=client_config())
        return self._clients[region]
