"""stainless.workspace.variants: a registry version as an endpoint variant, served from a copy
that outlives the run's scratch space."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from stainless.core.errors import StainlessError
from stainless.workspace import Workspace, open_workspace
from stainless.workspace.layout import model_key
from stainless.workspace.packaging import package_model, write_bundle
from stainless.workspace.variants import registry_variant, variant_name, variant_spec


@pytest.fixture
def workspace(bake: Callable[..., Path], tmp_path: Path) -> Workspace:
    """A project whose store holds run-1's packaged model, registered as version 1."""
    workspace = open_workspace(bake())
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    (artifacts / "weights.bin").write_bytes(b"\x07")
    write_bundle(artifacts, workspace.dir / "model.py", workspace.dir / "schemas.json", {})
    package_model(artifacts, tmp_path / "model.tar.gz")
    workspace.store.put_file(model_key("run-1"), tmp_path / "model.tar.gz")
    workspace.registry.register("run-1", workspace.store.url(model_key("run-1")), {})
    return workspace


def test_a_run_becomes_a_variant_served_from_the_projects_own_copy(workspace: Workspace):
    spec = variant_spec(workspace, "run-1", 1, 0.25)
    assert (spec.name, spec.version, spec.weight) == ("v1", 1, 0.25)
    assert spec.model_dir.is_relative_to(workspace.dir / ".stainless" / "deployed")
    assert (spec.model_dir / "weights.bin").read_bytes() == b"\x07"
    assert spec.model_data == workspace.store.url(model_key("run-1"))
    assert variant_spec(workspace, "run-1", 1, 1.0, name="canary").name == "canary"
    assert variant_name(12) == "v12"


def test_the_production_version_is_the_default_and_its_absence_is_explained(
    workspace: Workspace,
):
    with pytest.raises(StainlessError) as none:
        registry_variant(workspace, None, 1.0)
    assert "has no production version" in none.value.message
    assert "--version" in (none.value.fix or "")
    assert registry_variant(workspace, 1, 0.5).name == "v1"  # asked for by number
    workspace.registry.promote(1, "first")
    assert registry_variant(workspace, None, 1.0).version == 1
