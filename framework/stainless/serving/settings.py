"""Server settings: the ``serving:`` section of model.yaml (defaults in model.schema.json)."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any

from stainless.project.config import ModelConfig


@dataclass(frozen=True)
class ServingSettings:
    """Defaults equal the schema's defaults (a test keeps them in step), so a model directory
    served without its model.yaml behaves like one with an empty ``serving:`` section."""

    max_body_bytes: int = 6 * 1024 * 1024
    max_batch_items: int = 1000
    max_batch_size: int = 64
    max_batch_wait_ms: float = 2.0
    capture_sample_rate: float = 0.05
    capture_max_queue: int = 10_000
    capture_flush_seconds: float = 10.0
    capture_drop_fields: tuple[str, ...] = ()
    capture_redact_fields: tuple[str, ...] = ()
    capture_retention_days: int = 30
    workers: int | None = None  # None: one per CPU of resources.serve.cpus
    pin_workers: bool = True

    @property
    def worker_count(self) -> int:
        return self.workers or 1

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
        settings = cls.from_mapping(config.raw.get("serving", {}))
        if settings.workers is None:
            # Each worker is one process on one core: as many as the serving instance has.
            cpus = float(config.resources_for("serve").get("cpus", 1))
            settings = replace(settings, workers=max(1, math.floor(cpus)))
        return settings

    def with_overrides(self, **overrides: Any) -> ServingSettings:
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})
