"""model.tar.gz extraction, with and without Python's tar extraction filters."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from stainless.core.errors import BackendError
from stainless.project.runtime import BUNDLE_DIR, MANIFEST
from stainless.workspace.packaging import extract_model


def _tarball(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("filters", [True, False], ids=["with-filters", "python-3.11.2"])
def test_extracts_a_model_and_refuses_paths_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, filters: bool
) -> None:
    if not filters:  # Debian bookworm's Python 3.11.2 (the image's) has no extraction filters
        monkeypatch.delattr(tarfile, "data_filter")
    good = _tarball(
        tmp_path / "good.tar.gz", {"model.joblib": b"m", f"{BUNDLE_DIR}/{MANIFEST}": b"{}"}
    )
    out = extract_model(good, tmp_path / "models" / "good")
    assert (out / "model.joblib").read_bytes() == b"m"
    evil = _tarball(tmp_path / "evil.tar.gz", {"../escaped": b"x"})
    with pytest.raises((BackendError, tarfile.TarError)):
        extract_model(evil, tmp_path / "models" / "evil")
    assert not (tmp_path / "models" / "escaped").exists()
    assert not list((tmp_path / "models").glob("evil*"))  # no half-extracted copy left
