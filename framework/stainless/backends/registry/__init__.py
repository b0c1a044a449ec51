"""Model registries: every trained version, its status, metrics, decision and lineage."""

from __future__ import annotations

import builtins
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from stainless.backends import resolve

IMPLEMENTATIONS = {
    "sqlite": "stainless.backends.registry.sqlite:SQLiteRegistry",
    "sagemaker": "stainless.backends.registry.sagemaker:SageMakerRegistry",
}

STATUSES = ("candidate", "production", "rejected", "rolled_back", "archived")


@dataclass
class ModelVersion:
    version: int
    run_id: str
    status: str
    created_at: str
    updated_at: str
    artifact_uri: str
    lineage: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    decision: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class ModelRegistry(Protocol):
    def register(self, run_id: str, artifact_uri: str, lineage: dict[str, Any]) -> ModelVersion:
        """Add a candidate; registering the same run id again returns the existing version."""
        ...

    def get(self, version: int) -> ModelVersion: ...
    def by_run(self, run_id: str) -> ModelVersion | None: ...
    def list(self) -> list[ModelVersion]: ...
    def production(self) -> ModelVersion | None: ...
    def update_metrics(self, version: int, metrics: dict[str, Any]) -> None: ...
    def record_decision(self, version: int, decision: dict[str, Any]) -> None: ...
    def set_status(self, version: int, status: str, reason: str) -> None: ...
    def promote(self, version: int, reason: str) -> ModelVersion | None:
        """Make ``version`` production; the previous production becomes archived. Returns it."""
        ...

    def events(self, version: int | None = None) -> builtins.list[dict[str, Any]]: ...


def open_registry(uri: str, base: Path) -> ModelRegistry:
    cls, parsed = resolve("registry", IMPLEMENTATIONS, uri)
    return cls.from_uri(parsed, base)
