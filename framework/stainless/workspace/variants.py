"""A registry version as a production variant of the model's endpoint (one place for the
rollout controller and `stainless endpoint add-variant`)."""

from __future__ import annotations

from stainless.backends.endpoints import VariantSpec
from stainless.core.errors import StainlessError
from stainless.workspace.layout import model_key
from stainless.workspace.packaging import fetch_model
from stainless.workspace.workspace import Workspace


def variant_name(version: int) -> str:
    return f"v{version}"


def variant_spec(
    workspace: Workspace, run_id: str, version: int, weight: float, name: str | None = None
) -> VariantSpec:
    """A servable copy of a run's model that outlives the run's scratch space (a local
    endpoint serves from it; a SageMaker one gets ``model_data``)."""
    deployed = workspace.dir / ".stainless" / "deployed"
    model_dir = fetch_model(workspace.store, model_key(run_id), deployed, run_id)
    return VariantSpec(
        name or variant_name(version),
        version,
        model_dir,
        weight,
        model_data=workspace.store.url(model_key(run_id)),
    )


def registry_variant(
    workspace: Workspace, version: int | None, weight: float, name: str | None = None
) -> VariantSpec:
    """A registry version (default: the production one) as a variant."""
    registry = workspace.registry
    chosen = registry.get(version) if version is not None else registry.production()
    if chosen is None:
        raise StainlessError(
            f"model {workspace.name} has no production version to serve",
            fix="train and promote one with `stainless run`, or pass --version",
        )
    return variant_spec(workspace, chosen.run_id, chosen.version, weight, name)
