"""Server settings: the ``serving:`` section of model.yaml (defaults in model.schema.json)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from stainless.project.config import ModelConfig


@dataclass(frozen=True)
class ServingSettings:
    """Defaults equal the schema's defaults (a test keeps them in step), so a model directory
    served without its model.yaml behaves like one with an empty ``serving:`` section."""

    max_body_bytes: int = 6 * 1024 * 1024
    max_batch_items: int = 1000
    capture_sample_rate: float = 0.05
    capture_max_queue: int = 10_000
    capture_flush_seconds: float = 10.0
    capture_drop_fields: tuple[str, ...] = ()
    capture_redact_fields: tuple[str, ...] = ()
    capture_retention_days: int = 30
    workers: int = 1

    @classmethod
    def from_mapping(cls, section: dict[str, Any]) -> ServingSettings:
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in section.items() if key in known}
        for key in ("capture_drop_fields", "capture_redact_fields"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)

    @classmethod
    def from_config(cls, config: ModelConfig) -> ServingSettings:
        return cls.from_mapping(config.raw.get("serving", {}))

    def with_overrides(self, **overrides: Any) -> ServingSettings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})
