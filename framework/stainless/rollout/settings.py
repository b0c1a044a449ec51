"""The rollout policy of a project: `rollout:` of model.yaml, with `rollout.local` applied when
the endpoint is the local one (simulated traffic: a rollout should take seconds)."""

from __future__ import annotations

import logging
from typing import Any

from stainless.core.durations import parse_duration
from stainless.project.config import ModelConfig
from stainless.rollout.feasibility import check_traffic
from stainless.rollout.policy import CONTROLLER_KEYS, RolloutPolicy, schema_default

log = logging.getLogger("stainless.rollout")


def effective_settings(config: ModelConfig) -> dict[str, Any]:
    raw = dict(config.raw.get("rollout", {}))
    local = raw.get("local", {}) if config.backend("endpoint").startswith("local://") else {}
    return {**raw, **local}


def rollout_policy(config: ModelConfig, recent_rps: float | None = None) -> RolloutPolicy:
    """The policy, checked against the traffic it will see (a warning is logged if it cannot
    conclude in time: see :func:`traffic_warning`)."""
    settings = effective_settings(config)
    policy = RolloutPolicy.from_mapping(
        {k: v for k, v in settings.items() if k not in CONTROLLER_KEYS}
    )
    warning = traffic_warning(config, policy, recent_rps)
    if warning:
        log.warning("model.yaml: %s", warning)
    return policy


def traffic_warning(
    config: ModelConfig, policy: RolloutPolicy, recent_rps: float | None = None
) -> str | None:
    """Why rollouts of this model would end "not enough traffic", or None.

    ``recent_rps`` is the endpoint's recent traffic when the caller knows it (it wins over the
    ``rollout.expected_rps`` setting); with neither, nothing is checked.
    """
    if recent_rps is not None and recent_rps > 0:
        return check_traffic(policy, recent_rps, "the endpoint's recent traffic").warning()
    expected = effective_settings(config).get("expected_rps")
    if expected is None:
        return None
    return check_traffic(policy, float(expected)).warning()


def tick_seconds(config: ModelConfig) -> float:
    settings = effective_settings(config)
    return parse_duration(settings.get("tick_seconds", schema_default("tick_seconds")))
