"""Find the model to serve: an extracted model directory, a ``model.tar.gz``, or a version of
the project's registry (the production one by default).

The pipeline's evaluate stage loads versions the same way; this module sits beside it (same
layer), so it reads the registry and the store directly instead of importing the pipeline.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stainless.backends.registry import ModelVersion, open_registry
from stainless.backends.storage import ArtifactStore, open_store
from stainless.core.errors import StageError
from stainless.project.config import ModelConfig
from stainless.project.runtime import BUNDLE_DIR, MANIFEST, LoadedModel
from stainless.workspace.packaging import extract_model, fetch_model

log = logging.getLogger("stainless.serving")


@dataclass(frozen=True)
class ServedModel:
    """A loaded model plus what the server says about it (name, version, where it came from)."""

    model: LoadedModel
    name: str
    version: str | None
    model_dir: Path


def load_artifacts(path: Path, version: str | None = None, name: str | None = None) -> ServedModel:
    """Load an extracted model directory (as SageMaker mounts /opt/ml/model) or a tarball."""
    path = Path(path)
    if path.is_file():
        # A private temporary directory: nothing else writes there, so no locking is needed.
        target = Path(tempfile.mkdtemp(prefix="stainless-model-"))
        path = extract_model(path, target / "model")
    elif not path.is_dir():
        raise StageError(
            f"model artifacts not found at {path}",
            fix="pass an extracted model directory or a model.tar.gz to --artifacts",
        )
    manifest = read_manifest(path)
    model = LoadedModel.from_bundle(path)
    return ServedModel(model, name or str(manifest.get("model", "model")), version, path)


def load_registered(config: ModelConfig, version: int | None = None) -> ServedModel:
    """Load ``version`` of the project's registry, or its production version."""
    registry = open_registry(config.backend("registry"), config.project_dir)
    chosen: ModelVersion | None = registry.get(version) if version is not None else None
    if version is None:
        chosen = registry.production()
        if chosen is None:
            raise StageError(
                f"model {config.name} has no production version yet",
                fix="run `stainless run` first, or pass --version N or --artifacts PATH",
            )
    assert chosen is not None
    store = open_store(config.backend("store"), config.project_dir)
    models = config.project_dir / ".stainless" / "work" / "models"
    key = store_key(store, chosen.artifact_uri)
    model_dir = fetch_model(store, key, models, f"{chosen.run_id}.serve")
    model = LoadedModel.from_bundle(model_dir)
    return ServedModel(model, config.name, str(chosen.version), model_dir)


def store_key(store: ArtifactStore, artifact_uri: str) -> str:
    """The store key of a registered artifact URI (the registry keeps ``store.url(key)``)."""
    base = store.url("").rstrip("/") + "/"
    if not artifact_uri.startswith(base):
        raise StageError(
            f"the registry points at {artifact_uri}, outside the artifact store {base}",
            fix="serve with the store and registry the model was trained with (model.yaml "
            "`store:`/`registry:` or STAINLESS_STORE/STAINLESS_REGISTRY), or use --artifacts",
        )
    return artifact_uri[len(base) :]


def read_manifest(model_dir: Path) -> dict[str, Any]:
    path = model_dir / BUNDLE_DIR / MANIFEST
    if not path.is_file():
        raise StageError(
            f"{model_dir} is not a stainless model: {BUNDLE_DIR}/{MANIFEST} is missing",
            fix="point at the contents of a model.tar.gz written by `stainless train`",
        )
    return json.loads(path.read_text())
