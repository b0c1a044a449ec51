"""Embedded default store: a local directory (``file://.stainless/store``)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from stainless.backends.storage import WriteConflict
from stainless.core import atomic
from stainless.core.errors import StageError
from stainless.core.uris import Uri

LOCK_SUFFIX = ".lock"


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def from_uri(cls, uri: Uri, base: Path) -> LocalStore:
        return cls(uri.local_path(base))

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in (path, *path.parents):
            raise ValueError(f"key {key!r} escapes the store root")
        return path

    def put_bytes(self, key: str, data: bytes) -> None:
        atomic.write_bytes(self._path(key), data)

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StageError(f"artifact {key!r} not found in store {self.root}") from None

    def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        tmp = atomic.temp_path_beside(target)
        try:
            shutil.copyfile(path, tmp)
            atomic.replace_durably(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def get_file(self, key: str, path: Path) -> None:
        source = self._path(key)
        if not source.is_file():
            raise StageError(f"artifact {key!r} not found in store {self.root}")
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix) if prefix else self.root
        if base.is_file():
            return [prefix]
        if not base.is_dir():
            return []
        return sorted(
            p.relative_to(self.root).as_posix()
            for p in base.rglob("*")
            if p.is_file() and not p.name.endswith((".tmp", LOCK_SUFFIX))
        )

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def url(self, key: str) -> str:
        return self._path(key).as_uri()

    def share_url(self, key: str, expires_s: int) -> str:
        """Locally, the file itself (only this machine can open it anyway)."""
        return self.url(key)

    def get_versioned(self, key: str) -> tuple[bytes, str] | None:
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        return data, _token(data)

    def put_if(self, key: str, data: bytes, expected: str | None) -> str:
        # An exclusive lock on a sidecar file serialises the compare and the swap between
        # processes; readers need no lock, since the swap itself is an atomic rename.
        target = self._path(key)
        with _locked(target.with_name(f".{target.name}{LOCK_SUFFIX}")):
            try:
                current: str | None = _token(target.read_bytes())
            except FileNotFoundError:
                current = None
            if current != expected:
                raise WriteConflict(
                    f"{key!r} changed in store {self.root} since it was read",
                    fix="read it again and retry",
                )
            atomic.write_bytes(target, data)
        return _token(data)


def _token(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
