"""Production store: S3 (``s3://bucket/prefix``), through boto3 (the ``aws`` extra).

S3 PUTs are atomic per object, so the store's atomic-write promise holds without temp keys.
Compare-and-swap uses S3's conditional writes (``If-None-Match: *`` to create, ``If-Match:
<ETag>`` to replace), so two controllers on different machines cannot both win.
``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` (honoured by boto3 itself) point it at a
compatible server such as MinIO or moto.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from stainless.backends.aws import client_config
from stainless.backends.storage import WriteConflict
from stainless.core.errors import BackendError, MissingExtraError, StageError
from stainless.core.uris import Uri


class S3Store:
    def __init__(self, bucket: str, prefix: str, client: Any | None = None) -> None:
        if not bucket:
            raise BackendError(
                "an S3 store needs a bucket", key="store", expected="s3://BUCKET/PREFIX"
            )
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self._client = client

    @classmethod
    def from_uri(cls, uri: Uri, base: Path) -> S3Store:
        return cls(uri.netloc, uri.path)

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                import boto3
            except ImportError:
                raise MissingExtraError("boto3", "aws", "The S3 artifact store") from None
            # SigV4 everywhere, presigned links included (SigV2 links are refused by newer
            # regions and do not carry the 7-day limit).
            self._client = boto3.client("s3", config=client_config(signature_version="s3v4"))
        return self._client

    def _key(self, key: str) -> str:
        if ".." in key.split("/"):
            raise ValueError(f"key {key!r} escapes the store root")
        return f"{self.prefix}/{key}" if self.prefix else key

    def put_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def get_bytes(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            raise StageError(
                f"artifact {key!r} not found in s3://{self.bucket}/{self.prefix}"
            ) from None
        return response["Body"].read()

    def put_file(self, key: str, path: Path) -> None:
        self.client.upload_file(str(path), self.bucket, self._key(key))

    def get_file(self, key: str, path: Path) -> None:
        if not self.exists(key):
            raise StageError(f"artifact {key!r} not found in s3://{self.bucket}/{self.prefix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        self.client.download_file(self.bucket, self._key(key), str(partial))
        partial.replace(path)

    def exists(self, key: str) -> bool:
        listing = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self._key(key), MaxKeys=1)
        return any(item["Key"] == self._key(key) for item in listing.get("Contents", []))

    def list(self, prefix: str) -> list[str]:
        full = self._key(prefix) if prefix else (f"{self.prefix}/" if self.prefix else "")
        strip = len(self.prefix) + 1 if self.prefix else 0
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=full
        ):
            keys.extend(item["Key"][strip:] for item in page.get("Contents", []))
        return sorted(keys)

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def url(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def share_url(self, key: str, expires_s: int) -> str:
        """A presigned HTTPS GET for people without AWS access (a report linked from Slack);
        served as HTML when the key ends in .html."""
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        if key.endswith(".html"):
            params["ResponseContentType"] = "text/html; charset=utf-8"
        return str(
            self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s)
        )

    def get_versioned(self, key: str) -> tuple[bytes, str] | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except self.client.exceptions.NoSuchKey:
            return None
        return response["Body"].read(), response["ETag"]

    def put_if(self, key: str, data: bytes, expected: str | None) -> str:
        condition = {"IfNoneMatch": "*"} if expected is None else {"IfMatch": expected}
        try:
            response = self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, **condition
            )
        except self.client.exceptions.ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            # 412: the ETag moved on; 409: a concurrent conditional write; 404: it was deleted.
            if status in (404, 409, 412) or code in (
                "PreconditionFailed",
                "ConditionalRequestConflict",
                "NoSuchKey",
            ):
                raise WriteConflict(
                    f"{self.url(key)} changed since it was read ({code or status})",
                    fix="read it again and retry",
                ) from None
            raise
        return str(response["ETag"])
