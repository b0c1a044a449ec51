"""Choosing a model registry by URI (each registry's behaviour: test_sqlite.py,
test_sagemaker.py)."""

from pathlib import Path

import pytest
from stainless.backends.registry import ModelRegistry, open_registry
from stainless.backends.registry.sqlite import SQLiteRegistry
from stainless.core.errors import BackendError


def test_sqlite_is_chosen_by_its_scheme_and_versions_read_as_dicts(tmp_path: Path):
    registry = open_registry("sqlite://registry.db", tmp_path)
    assert isinstance(registry, SQLiteRegistry) and isinstance(registry, ModelRegistry)
    version = registry.register("r1", "file://runs/r1/model.tar.gz", {"run_id": "r1"})
    record = version.to_dict()
    assert (record["version"], record["run_id"], record["status"]) == (1, "r1", "candidate")
    assert record["lineage"] == {"run_id": "r1"} and record["decision"] is None


def test_an_unknown_scheme_lists_the_known_ones(tmp_path: Path):
    with pytest.raises(BackendError, match="no registry backend for scheme 'mlflow'") as caught:
        open_registry("mlflow://tracking", tmp_path)
    assert caught.value.expected == "sqlite://, sagemaker://"
