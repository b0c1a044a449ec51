"""Rollout policy: defaults and constraints from model.schema.json, errors that name the key."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from stainless.core.errors import ConfigError
from stainless.project.config import config_from_mapping, model_schema
from stainless.rollout.policy import (
    CONTROLLER_KEYS,
    RolloutPolicy,
    RolloutPolicyError,
    rollout_section_schema,
)

MINIMAL = {"name": "house-prices", "owner": "jane", "target": "price", "metric": "rmse"}


def load(rollout: dict[str, Any]) -> None:
    """Validate ``rollout:`` the way model.yaml is validated (raises ConfigError)."""
    config_from_mapping({**MINIMAL, "rollout": rollout}, Path("/p"))


def test_defaults() -> None:
    policy = RolloutPolicy()
    assert policy.steps == (5.0, 10.0, 25.0, 50.0, 100.0)
    assert policy.observed_steps == (5.0, 10.0, 25.0, 50.0)
    assert policy.min_promotion_requests == 4 * policy.min_requests_per_step
    assert policy.alpha == 0.01
    assert policy.on_inconclusive == "rollback"
    assert RolloutPolicy.from_mapping(None) == policy
    assert RolloutPolicy.from_mapping({}) == policy


def test_from_mapping_reads_yaml_values() -> None:
    policy = RolloutPolicy.from_mapping(
        {
            "steps": [1, 20, 60],
            "min_requests_per_step": 800,
            "min_bake_seconds": "5m",
            "max_duration_seconds": "2h",
            "error_rate_tolerance": 0.1,
            "alpha": 0.05,
            "latency_guard_ratio": None,
            "latency_min_requests": 50,
            "latency_percentile": "p99",
            "on_inconclusive": "pause",
            "mixture_prior_scale": 0.5,
        }
    )
    assert policy.steps == (1.0, 20.0, 60.0)
    assert policy.observed_steps == (1.0, 20.0, 60.0)  # promotion to 100 % is implied
    assert policy.min_bake_seconds == 300.0
    assert policy.max_duration_seconds == 7200.0
    assert policy.latency_guard_ratio is None
    assert policy.latency_percentile == "p99"
    assert RolloutPolicy.from_mapping(policy.as_dict()) == policy


def test_direct_construction_is_checked_too() -> None:
    assert RolloutPolicy(steps=[10, 100]).steps == (10.0, 100.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        RolloutPolicy(alpha=2.0)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("steps", [10, 5, 100]),
        ("steps", [5, 5]),
        ("steps", []),
        ("steps", [0, 50]),
        ("steps", [50, 120]),
        ("steps", [100]),
        ("steps", [True, 50]),
        ("steps", "5,10"),
        ("min_requests_per_step", 0),
        ("min_requests_per_step", 10.5),
        ("min_requests_per_step", True),
        ("min_bake_seconds", -1),
        ("min_bake_seconds", "soon"),
        ("min_bake_seconds", [60]),
        ("max_duration_seconds", 0),
        ("max_duration_seconds", 30),  # shorter than 4 steps x 60 s of bake
        ("error_rate_tolerance", -0.1),
        ("error_rate_tolerance", "10%"),
        ("alpha", 0),
        ("alpha", 0.6),
        ("alpha", "0.01"),
        ("latency_guard_ratio", 0.9),
        ("latency_guard_ratio", float("inf")),
        ("latency_min_requests", 0),
        ("latency_percentile", "p90"),
        ("alpha", float("nan")),
        ("on_inconclusive", "maybe"),
        ("mixture_prior_scale", 0),
        ("mixture_prior_scale", 50),
    ],
)
def test_invalid_values_name_their_key(key: str, value: Any) -> None:
    with pytest.raises(ValueError) as caught:
        RolloutPolicy.from_mapping({key: value})
    assert caught.value.key.startswith(f"rollout.{key}")  # type: ignore[attr-defined]
    assert isinstance(caught.value, ConfigError)  # the CLI prints these without a traceback
    assert caught.value.file == "model.yaml" and caught.value.fix


def test_unknown_keys_are_named() -> None:
    with pytest.raises(RolloutPolicyError, match=r"rollout\.min_request_per_step: unknown"):
        RolloutPolicy.from_mapping({"min_request_per_step": 100})
    with pytest.raises(RolloutPolicyError, match="rollout"):
        RolloutPolicy.from_mapping(["steps"])  # type: ignore[arg-type]


def test_policy_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        RolloutPolicy().alpha = 0.5  # type: ignore[misc]


def test_fields_are_the_schema_keys_and_defaults_the_schema_defaults() -> None:
    # One source of truth: a key added to the schema without a field (or the reverse), or a
    # default that differs between the two, fails here.
    properties = rollout_section_schema()["properties"]
    names = [f.name for f in dataclasses.fields(RolloutPolicy)]
    assert set(names) == set(properties) - CONTROLLER_KEYS
    schema_defaults = {name: properties[name]["default"] for name in names}
    assert RolloutPolicy.from_mapping(schema_defaults) == RolloutPolicy()
    loaded = config_from_mapping(dict(MINIMAL), Path("/p"))["rollout"]
    assert {k: loaded[k] for k in names} == schema_defaults
    assert RolloutPolicy.from_mapping({k: loaded[k] for k in names}) == RolloutPolicy()


def test_each_setting_is_defined_once_and_local_overrides_all_of_them() -> None:
    # Constraints and descriptions live in $defs.rollout; `rollout` adds only the defaults and
    # `rollout.local` only refers to the same definitions (no copy that could drift).
    definitions = model_schema()["$defs"]["rollout"]
    section = rollout_section_schema()["properties"]
    local = section["local"]["properties"]
    assert set(definitions) == set(section) - {"local"} == set(local)
    for name, definition in definitions.items():
        assert definition.get("description"), name
        assert "default" not in definition, name
        assert section[name] == {
            "$ref": f"#/$defs/rollout/{name}",
            "default": section[name]["default"],
        }
        assert local[name] == {"$ref": f"#/$defs/rollout/{name}"}


@pytest.mark.parametrize(
    ("instance", "valid"),
    [
        ({}, True),
        ({"steps": [1, 5, 100], "min_bake_seconds": "90s", "latency_guard_ratio": None}, True),
        ({"steps": [0, 50]}, False),
        ({"alpha": 0.7}, False),
        ({"on_inconclusive": "retry"}, False),
        ({"latency_percentile": "p99"}, True),
        ({"min_bake_seconds": "ninety"}, False),
        ({"stepz": [5]}, False),
    ],
)
def test_model_yaml_validation_agrees_with_from_mapping(
    instance: dict[str, Any], valid: bool
) -> None:
    if valid:
        load(instance)
        RolloutPolicy.from_mapping(instance)
        load({"local": instance})
    else:
        with pytest.raises(ConfigError, match=r"rollout\."):
            load(instance)
        with pytest.raises(ValueError, match=r"rollout\."):
            RolloutPolicy.from_mapping(instance)
        with pytest.raises(ConfigError, match=r"rollout\.local\."):
            load({"local": instance})


def test_any_yaml_value_loads_or_fails_with_a_keyed_error() -> None:
    # Whatever a person writes under `rollout:`, from_mapping returns a policy or raises a
    # RolloutPolicyError naming the key; never a TypeError from deep inside. And model.yaml
    # validation is never stricter than the loader: a mapping that loads also passes it.
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(10**6), 10**6)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.sampled_from(["", "90s", "2h", "5m ", "rollback", "pause", "1e3", "-5"])
    )
    values = scalars | st.lists(scalars, max_size=6) | st.just({"nested": 1})
    keys = st.sampled_from([f.name for f in dataclasses.fields(RolloutPolicy)] + ["stepz"])

    @hypothesis.settings(max_examples=100, deadline=None, derandomize=True)
    @hypothesis.given(st.dictionaries(keys, values, max_size=4))
    def check(instance: dict[str, Any]) -> None:
        try:
            RolloutPolicy.from_mapping(instance)
        except RolloutPolicyError as error:
            assert "rollout." in str(error)
        else:
            load(instance)

    check()
