"""The project's rollout policy: `rollout:` with `local` applied, and the traffic check."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest
from stainless.project.config import ModelConfig, config_from_mapping
from stainless.rollout.policy import RolloutPolicy
from stainless.rollout.settings import rollout_policy, tick_seconds, traffic_warning

MINIMAL = {"name": "house-prices", "owner": "jane", "target": "price", "metric": "rmse"}


def config(rollout: dict[str, Any], endpoint: str = "local://") -> ModelConfig:
    loaded = config_from_mapping({**MINIMAL, "rollout": rollout}, Path("/p"))
    return dataclasses.replace(loaded, backends={**loaded.backends, "endpoint": endpoint})


def test_local_overrides_apply_only_to_the_local_endpoint() -> None:
    rollout = {"steps": [5, 50, 100], "tick_seconds": "2m", "local": {"steps": [25, 100]}}
    assert rollout_policy(config(rollout)).steps == (25.0, 100.0)
    remote = config(rollout, endpoint="sagemaker://prod")
    assert rollout_policy(remote).steps == (5.0, 50.0, 100.0)
    assert tick_seconds(remote) == 120.0
    assert tick_seconds(config({})) == 60.0  # the schema's default
    assert rollout_policy(config({})) == RolloutPolicy()


def test_expected_rps_too_low_is_warned_when_the_policy_is_built(
    caplog: pytest.LogCaptureFixture,
) -> None:
    low = config({"expected_rps": 0.2}, endpoint="sagemaker://prod")
    with caplog.at_level(logging.WARNING, logger="stainless.rollout"):
        rollout_policy(low)
    assert "model.yaml: At 0.2 requests/s (rollout.expected_rps)" in caplog.text
    assert "rollout.max_duration_seconds" in caplog.text

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="stainless.rollout"):
        rollout_policy(config({"expected_rps": 50}, endpoint="sagemaker://prod"))
        rollout_policy(config({}, endpoint="sagemaker://prod"))  # nothing known: no check
    assert caplog.text == ""


def test_recent_traffic_wins_over_the_setting() -> None:
    low = config({"expected_rps": 0.2}, endpoint="sagemaker://prod")
    policy = rollout_policy(low)
    assert traffic_warning(low, policy, recent_rps=50.0) is None
    busy = config({"expected_rps": 50}, endpoint="sagemaker://prod")
    warning = traffic_warning(busy, policy, recent_rps=0.1)
    assert warning and "the endpoint's recent traffic" in warning
