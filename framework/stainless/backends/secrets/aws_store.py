"""What the two AWS secret stores share (Secrets Manager, Parameter Store): one boto3 client per
region, the extra named when boto3 is missing, and AWS's refusals turned into errors that name
the reference in model.yaml and the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stainless.backends.aws import client_config
from stainless.backends.secrets import SecretRef
from stainless.core.errors import BackendError, MissingExtraError


class AwsSecretStore:
    service = ""  # boto3's name of the service
    scheme = ""  # the reference's URI scheme
    label = ""  # how people call the service
    missing = ""  # what to create when it is not there
    permission = ""  # the IAM action reading it

    def __init__(self) -> None:
        self._clients: dict[str | None, Any] = {}

    def _fetch(self, ref: SecretRef, call: Callable[[Any], Any]) -> Any:
        """``call(client)`` for the reference's region; AWS errors explained."""
        client = self._client(ref.region)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return call(client)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise BackendError(
                f"{ref.variable}: {self.label} refused {ref.raw}: "
                f"{error.get('Code', '?')}: {error.get('Message', '')}",
                file="model.yaml",
                key=ref.key,
                fix=f"create {self.missing}, or give this process's IAM role "
                f"{self.permission} on it (docs/production.md)",
            ) from None
        except BotoCoreError as exc:
            raise BackendError(
                f"{ref.variable}: cannot reach {self.label} for {ref.raw}: {exc}",
                key=ref.key,
                fix="check the AWS region and credentials of this process",
            ) from None

    def _client(self, region: str | None) -> Any:
        if region not in self._clients:
            try:
                import boto3
            except ImportError:
                raise MissingExtraError("boto3", "aws", f"{self.scheme}:// secrets") from None
            # boto3's stubs type a client per literal service name; ours is a class attribute.
            make_client: Any = boto3.client
            self._clients[region] = make_client(
                self.service, region_name=region, config=client_config()
            )
        return self._clients[region]
