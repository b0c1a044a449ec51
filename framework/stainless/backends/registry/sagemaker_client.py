"""The boto3 SageMaker client of the model registry, and AWS failures told as a person's fix."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from stainless.backends.aws import client_config
from stainless.core.errors import BackendError, MissingExtraError

_ACCESS_CODES = (
    "AccessDenied",
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
)
_Method = TypeVar("_Method", bound=Callable[..., Any])


def explained(method: _Method) -> _Method:
    """Turn the AWS failures a person fixes (credentials, permissions, network) into
    BackendErrors that say what to do, instead of a botocore traceback."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import ClientError, HTTPClientError, NoCredentialsError
        from botocore.exceptions import ConnectionError as AwsConnectionError

        try:
            return method(self, *args, **kwargs)
        except NoCredentialsError:
            raise BackendError(
                "no AWS credentials for the SageMaker model registry",
                key="registry",
                fix="set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where an "
                "IAM role is attached",
            ) from None
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in _ACCESS_CODES:
                raise
            raise BackendError(
                f"AWS refused the SageMaker model registry ({code}) for group {self.group!r}",
                key="registry",
                fix="grant sagemaker:ListModelPackages, DescribeModelPackage, CreateModelPackage, "
                "UpdateModelPackage, DescribeModelPackageGroup and CreateModelPackageGroup "
                "(docs/registry.md)",
            ) from None
        except (AwsConnectionError, HTTPClientError) as exc:
            raise BackendError(
                f"cannot reach SageMaker for the model registry: {exc}",
                key="registry",
                fix="check the region (?region= or AWS_DEFAULT_REGION), AWS_ENDPOINT_URL and "
                "the network",
            ) from None

    return wrapper  # type: ignore[return-value]


def is_missing(exc: Any) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") in ("ValidationException", "ResourceNotFound") and (
        "does not exist" in error.get("Message", "") or "not found" in error.get("Message", "")
    )


def sagemaker_client(region: str | None) -> Any:
    try:
        import boto3
        from botocore.exceptions import NoRegionError
    except ImportError:
        raise MissingExtraError("boto3", "aws", "The SageMaker model registry") from None
    # Listing a group describes every package: botocore backs off when SageMaker throttles.
    try:
        return boto3.client("sagemaker", region_name=region, config=client_config())
    except NoRegionError:
        raise BackendError(
            "the SageMaker model registry needs an AWS region",
            key="registry",
            fix="add ?region=eu-west-1 to the registry URI or set AWS_DEFAULT_REGION",
        ) from None
