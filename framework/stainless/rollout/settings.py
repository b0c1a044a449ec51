"""The rollout policy of a project: `rollout:` of model.yaml, with `rollout.local` applied when
the endpoint is the local one (simulated traffic: a rollout should take seconds)."""

from __future__ import annotations

from typing import Any

from stainless.core.durations import parse_duration
from stainless.project.config import ModelConfig
from stainless.rollout.policy import RolloutPolicy

_NOT_POLICY = ("local", "tick_seconds")


def effective_settings(config: ModelConfig) -> dict[str, Any]:
    raw = dict(config.raw.get("rollout", {}))
    local = raw.get("local", {}) if config.backend("endpoint").startswith("local://") else {}
    return {**raw, **local}


def rollout_policy(config: ModelConfig) -> RolloutPolicy:
    settings = effective_settings(config)
    return RolloutPolicy.from_mapping({k: v for k, v in settings.items() if k not in _NOT_POLICY})


def tick_seconds(config: ModelConfig) -> float:
    return parse_duration(effective_settings(config).get("tick_seconds", 60))
