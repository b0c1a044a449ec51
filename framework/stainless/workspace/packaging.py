"""model.tar.gz in the SageMaker layout: the artifacts at the root (what /opt/ml/model holds),
plus the code that loads them under ``.stainless/``."""

from __future__ import annotations

import json
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from stainless.backends.storage import ArtifactStore
from stainless.core import atomic
from stainless.core.errors import BackendError
from stainless.core.hashing import file_digest
from stainless.project.runtime import BUNDLE_DIR, MANIFEST


def write_bundle(
    artifact_dir: Path, model_file: Path, schemas_file: Path, manifest: dict[str, Any]
) -> None:
    """Put the code that loads the artifacts beside them (the manifest last: its presence
    means the bundle is complete)."""
    bundle = artifact_dir / BUNDLE_DIR
    if bundle.exists():
        shutil.rmtree(bundle)
    bundle.mkdir()
    shutil.copy2(model_file, bundle / model_file.name)
    shutil.copy2(schemas_file, bundle / schemas_file.name)
    full = {**manifest, "model_file": model_file.name, "schemas_file": schemas_file.name}
    (bundle / MANIFEST).write_text(json.dumps(full, indent=2, sort_keys=True))


def package_model(artifact_dir: Path, out: Path) -> None:
    """Tar a bundled artifact directory into ``out`` (atomically)."""
    tmp = atomic.temp_path_beside(out)
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            for path in sorted(artifact_dir.iterdir()):
                tar.add(path, arcname=path.name)
        atomic.replace_durably(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def extract_model(tarball: Path, dest: Path) -> Path:
    """Extract atomically: a half-extracted directory is never used, and two processes
    extracting the same tarball at once both end up with one complete copy."""
    if (dest / BUNDLE_DIR / MANIFEST).is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=dest.name + ".", suffix=".partial", dir=dest.parent))
    try:
        with tarfile.open(tarball, "r:*") as tar:
            _extract_all(tar, staging, tarball)
        if dest.exists():
            shutil.rmtree(dest)
        try:
            staging.rename(dest)
        except OSError:
            if not (dest / BUNDLE_DIR / MANIFEST).is_file():  # not another process's copy
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return dest


def _extract_all(tar: tarfile.TarFile, dest: Path, tarball: Path) -> None:
    """Extract with the "data" filter (nothing outside ``dest``, no devices, no odd modes).
    Python before 3.11.4 has no filters (Debian bookworm's 3.11.2, the image's Python, found by
    the rehearsal): there only plain files and folders inside ``dest`` are extracted."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(dest, filter="data")
        return
    root = dest.resolve()
    for member in tar.getmembers():
        inside = (root / member.name).resolve().is_relative_to(root)
        if not inside or not (member.isfile() or member.isdir()):
            raise BackendError(
                f"{tarball.name} holds {member.name!r}, which is not a plain file or folder "
                "inside the archive",
                key="model.tar.gz",
                found=member.name,
                fix="package the model with stainless (links and absolute paths are refused)",
            )
    tar.extractall(dest)  # noqa: S202 - every member was checked above


def fetch_model(store: ArtifactStore, key: str, models_dir: Path, name: str) -> Path:
    """Download a packaged model from the store and extract it under ``models_dir``. Copies
    are keyed by content, so a retrained run (``train --force``) is never used stale."""
    tarball = models_dir / f"{name}.tar.gz"
    store.get_file(key, tarball)
    digest = file_digest(tarball)[:12]
    return extract_model(tarball, models_dir / f"{name}-{digest}")
