"""Ship rendered DAG files to an S3 DAGs folder (MWAA, or any Airflow syncing from S3).

Unchanged files are not re-uploaded (their MD5 equals the object's ETag), so a CI run that
changed nothing does not make every scheduler re-parse every DAG.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stainless.core.errors import BackendError, MissingExtraError


@dataclass(frozen=True)
class Uploaded:
    path: Path
    key: str
    changed: bool


def upload_dags(
    directory: Path, bucket: str, prefix: str = "dags", client: Any = None
) -> list[Uploaded]:
    files = sorted(Path(directory).glob("*.py"))
    if not files:
        raise BackendError(
            f"no DAG files (*.py) in {directory}", fix="run `stainless dags render --out DIR` first"
        )
    s3 = client or _s3_client()
    results = []
    for path in files:
        key = "/".join(part for part in (prefix.strip("/"), path.name) if part)
        body = path.read_bytes()
        if _remote_md5(s3, bucket, key) == hashlib.md5(body).hexdigest():
            results.append(Uploaded(path, key, changed=False))
            continue
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="text/x-python")
        results.append(Uploaded(path, key, changed=True))
    return results


def _remote_md5(s3: Any, bucket: str, key: str) -> str | None:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return str(head.get("ETag", "")).strip('"') or None


def _s3_client() -> Any:
    try:
        import boto3
    except ImportError:
        raise MissingExtraError("boto3", "aws", "Uploading DAGs to S3") from None
    return boto3.client("s3")
