"""``ssm:///PARAMETER/NAME[?region=R]``: an SSM Parameter Store parameter (SecureString values are
decrypted; boto3, ``pip install 'stainless-ml[aws]'``). The IAM identity needs
``ssm:GetParameter`` on it (and ``kms:Decrypt`` for a customer-managed key)."""

from __future__ import annotations

from stainless.backends.secrets import SecretRef
from stainless.backends.secrets.aws_store import AwsSecretStore


class ParameterStore(AwsSecretStore):
    service = "ssm"
    scheme = "ssm"
    label = "Parameter Store"
    missing = "the parameter (a SecureString)"
    permission = "ssm:GetParameter"

    def get(self, ref: SecretRef) -> str:
        answer = self._fetch(
            ref, lambda client: client.get_parameter(Name=ref.name, WithDecryption=True)
        )
        return str(answer["Parameter"]["Value"])
