"""Artifact stores: where datasets, model tarballs, evaluations and figures of a run live."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

from stainless.backends import resolve
from stainless.core.errors import StainlessError

IMPLEMENTATIONS = {
    "file": "stainless.backends.storage.local:LocalStore",
    "s3": "stainless.backends.storage.s3:S3Store",
}


class WriteConflict(StainlessError):
    """A conditional write lost: the object changed (or appeared) since it was read."""


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

    # Compare-and-swap, for the few objects several processes update (rollout state, leases).
    def get_versioned(self, key: str) -> tuple[bytes, str] | None:
        """The object and an opaque token of this version of it, or None when absent."""
        ...

    def put_if(self, key: str, data: bytes, expected: str | None) -> str:
        """Write only if the object is still at version ``expected`` (None: only if absent);
        returns the new version's token, raises :class:`WriteConflict` otherwise."""
        ...


def open_store(uri: str, base: Path) -> ArtifactStore:
    cls, parsed = resolve("store", IMPLEMENTATIONS, uri)
    return cls.from_uri(parsed, base)
