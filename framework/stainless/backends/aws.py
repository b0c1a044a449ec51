"""The one botocore configuration every AWS client of stainless uses.

Why one: throttling and slow answers are the same problem for S3, SageMaker and CloudWatch.
``standard`` retries back off with jitter on throttling and transient errors (and retry a
connection that broke mid-call); explicit timeouts make a black-holed connection fail in
seconds instead of the SDK's 60 s default, so the caller's own retry or deadline takes over.
"""

from __future__ import annotations

from typing import Any

from stainless.core.errors import MissingExtraError

TOTAL_ATTEMPTS = 8  # the first call + 7 retries (standard mode backs off up to 20 s each)
CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 60
# How often SageMaker jobs and endpoints are described while waiting; the rehearsal, whose
# local-mode jobs end in seconds, sets it low (docs/rehearsal.md).
POLL_ENV = "STAINLESS_SAGEMAKER_POLL_S"


def sagemaker_poll_s(default: float) -> float:
    """``$STAINLESS_SAGEMAKER_POLL_S`` when set to a positive number, else ``default``."""
    import os

    try:
        chosen = float(os.environ.get(POLL_ENV) or default)
    except ValueError:
        return default
    return chosen if chosen > 0 else default


def client_config(**overrides: Any) -> Any:
    """A ``botocore.config.Config`` with stainless's retry and timeout policy."""
    try:
        from botocore.config import Config
    except ImportError:
        raise MissingExtraError("boto3", "aws", "AWS access") from None
    options: dict[str, Any] = {
        "retries": {"total_max_attempts": TOTAL_ATTEMPTS, "mode": "standard"},
        "connect_timeout": CONNECT_TIMEOUT_S,
        "read_timeout": READ_TIMEOUT_S,
    }
    options.update(overrides)
    return Config(**options)
