"""Finding the model to serve: an extracted directory or a tarball, or a version of the project's
registry (production by default), each refusal saying what to pass instead."""

from __future__ import annotations

from pathlib import Path

import pytest
from stainless.backends.storage.local import LocalStore
from stainless.core.errors import StageError
from stainless.pipeline.runner import run_lifecycle
from stainless.project.config import load_config
from stainless.serving.loading import load_artifacts, load_registered, store_key
from stainless.workspace import Workspace

REQUEST = {
    "area_sqm": 94.0,
    "bedrooms": 4,
    "age_years": 21,
    "distance_km": 3.45,
    "neighborhood": "east",
}


@pytest.fixture
def trained(bake) -> Path:
    project_dir = bake()
    assert run_lifecycle(
        Workspace(load_config(project_dir)), "r1", in_process=True, until="train"
    ).ok
    return project_dir


def test_a_registered_version_or_else_production(trained: Path):
    config = load_config(trained)
    with pytest.raises(StageError) as none_yet:
        load_registered(config)  # version 1 is only a candidate
    assert "house-prices has no production version yet" in none_yet.value.render()
    assert "--version N or --artifacts PATH" in none_yet.value.render()

    served = load_registered(config, version=1)
    assert (served.name, served.version) == ("house-prices", "1")
    assert isinstance(served.model.predict(REQUEST)["prediction"], float)
    Workspace(config).registry.promote(1, "test")
    assert load_registered(config).model_dir == served.model_dir  # fetched once, reused


def test_a_tarball_and_its_extracted_directory_serve_the_same(trained: Path):
    tarball = next((trained / ".stainless" / "store").rglob("model.tar.gz"))
    from_tarball = load_artifacts(tarball, version="7", name="houses")
    assert (from_tarball.name, from_tarball.version) == ("houses", "7")
    from_dir = load_artifacts(from_tarball.model_dir)
    assert from_dir.name == "house-prices" and from_dir.version is None
    assert from_dir.model.predict(REQUEST) == from_tarball.model.predict(REQUEST)


def test_what_is_not_a_model_is_refused_with_what_to_pass(tmp_path: Path):
    with pytest.raises(StageError, match="model artifacts not found at"):
        load_artifacts(tmp_path / "missing")
    with pytest.raises(StageError, match=r"is not a stainless model: \.stainless/manifest\.json"):
        load_artifacts(tmp_path)


def test_a_registry_pointing_outside_the_store_is_refused(tmp_path: Path):
    store = LocalStore(tmp_path / "store")
    assert store_key(store, store.url("runs/r1/model.tar.gz")) == "runs/r1/model.tar.gz"
    with pytest.raises(StageError, match="outside the artifact store"):
        store_key(store, "s3://elsewhere/runs/r1/model.tar.gz")
