"""Embedded default store: a local directory (``file://.stainless/store``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from stainless.core import atomic
from stainless.core.errors import StageError
from stainless.core.uris import Uri


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
            os.replace(tmp, target)
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
            if p.is_file() and not p.name.endswith(".tmp")
        )

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def url(self, key: str) -> str:
        return self._path(key).as_uri()

    def share_url(self, key: str, expires_s: int) -> str:
        """Locally, the file itself (only this machine can open it anyway)."""
        return self.url(key)
