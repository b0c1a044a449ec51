"""model.tar.gz in the SageMaker layout: the artifacts at the root (what /opt/ml/model holds),
plus the code that loads them under ``.stainless/``."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

from stainless.core import atomic
from stainless.project.runtime import BUNDLE_DIR, MANIFEST


def package_model(
    artifact_dir: Path, model_file: Path, schemas_file: Path, manifest: dict[str, Any], out: Path
) -> None:
    bundle = artifact_dir / BUNDLE_DIR
    if bundle.exists():
        shutil.rmtree(bundle)
    bundle.mkdir()
    shutil.copy2(model_file, bundle / model_file.name)
    shutil.copy2(schemas_file, bundle / schemas_file.name)
    full = {**manifest, "model_file": model_file.name, "schemas_file": schemas_file.name}
    (bundle / MANIFEST).write_text(json.dumps(full, indent=2, sort_keys=True))
    tmp = atomic.temp_path_beside(out)
    try:
        with tarfile.open(tmp, "w:gz") as tar:
            for path in sorted(artifact_dir.iterdir()):
                tar.add(path, arcname=path.name)
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def extract_model(tarball: Path, dest: Path) -> Path:
    """Extract into ``dest`` (atomically: a half-extracted directory is never used)."""
    if (dest / BUNDLE_DIR / MANIFEST).is_file():
        return dest
    staging = dest.with_name(dest.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    with tarfile.open(tarball, "r:gz") as tar:
        tar.extractall(staging, filter="data")
    if dest.exists():
        shutil.rmtree(dest)
    staging.rename(dest)
    return dest
