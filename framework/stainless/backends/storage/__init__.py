"""Artifact stores: where datasets, model tarballs, evaluations and figures of a run live."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from stainless.backends import resolve

IMPLEMENTATIONS = {
    "file": "stainless.backends.storage.local:LocalStore",
    "s3": "stainless.backends.storage.s3:S3Store",
}


@runtime_checkable
class ArtifactStore(Protocol):
    """Keys are '/'-separated relative paths such as ``runs/<run_id>/model.tar.gz``.

    Writes are atomic: a reader sees the old object or the new one, never a partial one.
    """

    def put_bytes(self, key: str, data: bytes) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def put_file(self, key: str, path: Path) -> None: ...
    def get_file(self, key: str, path: Path) -> None: ...
    def exists(self, key: str) -> bool: ...
    def list(self, prefix: str) -> list[str]: ...
    def delete(self, key: str) -> None: ...
    def url(self, key: str) -> str: ...
    def share_url(self, key: str, expires_s: int) -> str:
        """A link a person can open (presigned on S3), valid for ``expires_s`` seconds."""
        ...


def open_store(uri: str, base: Path) -> ArtifactStore:
    cls, parsed = resolve("store", IMPLEMENTATIONS, uri)
    return cls.from_uri(parsed, base)
