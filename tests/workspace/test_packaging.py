"""stainless.workspace.packaging: model.tar.gz in SageMaker's layout, extracted atomically and
fetched by content."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from stainless.backends.storage.local import LocalStore
from stainless.core.errors import BackendError
from stainless.project.runtime import BUNDLE_DIR, MANIFEST
from stainless.workspace.packaging import extract_model, fetch_model, package_model, write_bundle


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "model.py").write_text("def load_model(d): ...\n")
    (tmp_path / "src" / "schemas.json").write_text("{}")
    out = tmp_path / "artifacts"
    out.mkdir()
    (out / "weights.bin").write_bytes(b"\x01\x02")
    write_bundle(out, tmp_path / "src" / "model.py", tmp_path / "src" / "schemas.json",
                 {"version": 3})  # fmt: skip
    return out


def test_the_bundle_and_the_artifacts_sit_at_the_root_of_the_tarball(artifacts: Path, tmp_path):
    manifest = json.loads((artifacts / BUNDLE_DIR / MANIFEST).read_text())
    assert manifest == {"version": 3, "model_file": "model.py", "schemas_file": "schemas.json"}
    tarball = tmp_path / "model.tar.gz"
    package_model(artifacts, tarball)
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    assert {"weights.bin", f"{BUNDLE_DIR}/model.py", f"{BUNDLE_DIR}/{MANIFEST}"} <= names
    assert not list(tmp_path.glob("*.tmp*"))  # the temporary file is gone


def test_extraction_replaces_a_half_copy_and_keeps_a_complete_one(artifacts: Path, tmp_path):
    tarball = tmp_path / "model.tar.gz"
    package_model(artifacts, tarball)
    dest = tmp_path / "models" / "run-1"
    dest.mkdir(parents=True)
    (dest / "weights.bin").write_bytes(b"half")  # a crash mid-copy left this, no manifest
    assert extract_model(tarball, dest) == dest
    assert (dest / "weights.bin").read_bytes() == b"\x01\x02"
    (dest / "weights.bin").write_bytes(b"kept")  # complete: never extracted again
    extract_model(tarball, dest)
    assert (dest / "weights.bin").read_bytes() == b"kept"
    assert [p.name for p in dest.parent.iterdir()] == ["run-1"]  # no staging folder left


def test_fetched_copies_are_keyed_by_content(artifacts: Path, tmp_path: Path):
    store = LocalStore(tmp_path / "store")
    tarball = tmp_path / "model.tar.gz"
    package_model(artifacts, tarball)
    store.put_file("runs/r1/model.tar.gz", tarball)
    first = fetch_model(store, "runs/r1/model.tar.gz", tmp_path / "models", "r1")
    assert (first / "weights.bin").read_bytes() == b"\x01\x02"
    assert fetch_model(store, "runs/r1/model.tar.gz", tmp_path / "models", "r1") == first
    (artifacts / "weights.bin").write_bytes(b"\x03")  # retrained under the same run id
    package_model(artifacts, tarball)
    store.put_file("runs/r1/model.tar.gz", tarball)
    second = fetch_model(store, "runs/r1/model.tar.gz", tmp_path / "models", "r1")
    assert second != first and (second / "weights.bin").read_bytes() == b"\x03"


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
