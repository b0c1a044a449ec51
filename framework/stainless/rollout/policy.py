"""The knobs of a canary rollout (``model.yaml`` -> ``rollout:``), validated once, up front.

One source of truth: each key's type, constraints, description and default live in the
model.yaml schema (``framework/stainless/project/schema/model.schema.json``: the definitions in
``$defs.rollout``, the defaults in ``properties.rollout``). This module takes its defaults from
there and validates with it; it only adds what a JSON Schema cannot say (steps strictly
increasing, a step below 100, a deadline that leaves room for the bake time, finite numbers).
``tests/rollout/test_policy.py`` fails if the fields here and the schema's keys drift apart.

The defaults were tuned with ``benchmarks/canary.py`` so that, on 200-1000 requests a minute, a
healthy candidate is rolled back well under 1 % of the time while a candidate with twice
production's error rate (at 1 %) is rolled back before full promotion more than 95 % of the
time. ``docs/rollout-statistics.md`` explains each one and how to tune it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from functools import cache, cached_property
from typing import Any, Literal

from jsonschema import Draft202012Validator

from stainless.core.durations import parse_duration
from stainless.core.errors import ConfigError, truncate
from stainless.project.config import CONFIG_FILE, explain_schema_error, model_schema

OnInconclusive = Literal["rollback", "promote", "pause"]
LatencyPercentile = Literal["p95", "p99"]

# Keys of `rollout:` that configure the controller around the decision, not the decision.
CONTROLLER_KEYS = frozenset({"local", "tick_seconds", "expected_rps"})
DURATION_KEYS = frozenset({"min_bake_seconds", "max_duration_seconds", "tick_seconds"})
INTEGER_KEYS = frozenset({"min_requests_per_step", "latency_min_requests"})


class RolloutPolicyError(ConfigError, ValueError):
    """An invalid ``rollout`` setting; also a ``ValueError`` for plain Python callers."""


def rollout_section_schema() -> dict[str, Any]:
    """The schema of model.yaml's ``rollout:`` mapping (its properties may be ``$ref``s)."""
    return model_schema()["properties"]["rollout"]


def schema_default(key: str) -> Any:
    """The default of ``rollout.<key>`` as the schema states it (YAML form: ``60``, ``[5])``."""
    return copy.deepcopy(rollout_section_schema()["properties"][key]["default"])


def _is_number(value: Any) -> bool:
    # bool is an int in Python, but `steps: [true]` is a typo, not a weight.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _typed(key: str, value: Any) -> Any:
    """A schema-valid YAML value in the field's type (lists to tuples, durations to seconds)."""
    if key == "steps" and isinstance(value, list | tuple):
        return tuple(float(s) if _is_number(s) else s for s in value)
    if key in DURATION_KEYS and isinstance(value, str):
        return parse_duration(value)
    if key in DURATION_KEYS and _is_number(value):
        return float(value)
    if key in INTEGER_KEYS and isinstance(value, float) and value.is_integer():
        return int(value)  # JSON Schema counts 1500.0 as an integer; keep the field an int
    return value


def _default(key: str) -> Any:
    return _typed(key, schema_default(key))


@dataclass(frozen=True)
class RolloutPolicy:
    """How traffic moves to a candidate model and when the rollout stops.

    Weights are the candidate's share of live traffic in percent. A last step of 100 is the
    promotion itself (nothing can be compared once production gets no traffic), so the steps the
    statistics watch are the ones below 100: see :attr:`observed_steps`. Defaults and the meaning
    of each field: the schema (see the module docstring) and docs/rollout-statistics.md.
    """

    steps: tuple[float, ...] = _default("steps")
    min_requests_per_step: int = _default("min_requests_per_step")
    min_bake_seconds: float = _default("min_bake_seconds")
    max_duration_seconds: float = _default("max_duration_seconds")
    error_rate_tolerance: float = _default("error_rate_tolerance")
    alpha: float = _default("alpha")
    latency_guard_ratio: float | None = _default("latency_guard_ratio")
    latency_percentile: LatencyPercentile = _default("latency_percentile")
    latency_min_requests: int = _default("latency_min_requests")
    on_inconclusive: OnInconclusive = _default("on_inconclusive")
    mixture_prior_scale: float = _default("mixture_prior_scale")

    def __post_init__(self) -> None:
        # Direct construction gets the same checks as from_mapping: a controller may build one.
        for f in fields(self):
            object.__setattr__(self, f.name, _typed(f.name, getattr(self, f.name)))
        _check_schema(self.as_dict())
        _check_semantics(self)

    @cached_property
    def observed_steps(self) -> tuple[float, ...]:
        """Steps with traffic on both variants, i.e. where the candidate can be compared."""
        return tuple(s for s in self.steps if s < 100.0)

    @property
    def min_promotion_requests(self) -> int:
        """Candidate requests (whole rollout) below which a candidate is never promoted."""
        return self.min_requests_per_step * len(self.observed_steps)

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> RolloutPolicy:
        """Build from the ``rollout`` mapping of ``model.yaml`` (missing keys take defaults).

        Durations may be seconds or strings such as ``90s``, ``30m``, ``2h``. Raises
        :class:`RolloutPolicyError` (a ``ValueError``) naming the file, the key and the fix.
        """
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping):
            raise RolloutPolicyError(
                "must be a mapping of settings",
                file=CONFIG_FILE,
                key="rollout",
                found=truncate(mapping),
                fix="write the settings as `key: value` lines under `rollout:`",
            )
        _check_schema(dict(mapping))  # as written, so the error shows what the person wrote
        return cls(**{key: _typed(key, value) for key, value in mapping.items()})

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (e.g. for a controller to persist next to its state)."""
        data = asdict(self)
        data["steps"] = list(self.steps)
        return data


POLICY_KEYS = tuple(f.name for f in fields(RolloutPolicy))


@cache
def _validator() -> Draft202012Validator:
    root = model_schema()
    properties = rollout_section_schema()["properties"]
    schema = {
        "$defs": root["$defs"],
        "type": "object",
        "additionalProperties": False,
        "properties": {key: properties[key] for key in POLICY_KEYS},
    }
    return Draft202012Validator(schema)


def _check_schema(mapping: dict[str, Any]) -> None:
    errors = sorted(_validator().iter_errors(mapping), key=lambda e: list(e.path))
    if errors:
        explained = explain_schema_error(errors[0], CONFIG_FILE, len(errors), section="rollout")
        raise RolloutPolicyError(
            explained.message,
            file=explained.file,
            key=explained.key,
            expected=explained.expected,
            found=explained.found,
            fix=explained.fix,
        )


def _fail(key: str, message: str, found: Any, fix: str) -> RolloutPolicyError:
    return RolloutPolicyError(
        message, file=CONFIG_FILE, key=f"rollout.{key}", found=truncate(found), fix=fix
    )


def _check_semantics(policy: RolloutPolicy) -> None:
    """What the schema cannot express; the schema has already checked types and ranges."""
    for key in POLICY_KEYS:
        value = getattr(policy, key)
        numbers = value if isinstance(value, tuple) else (value,)
        # YAML's .inf and .nan pass JSON Schema's range checks (NaN compares false to anything).
        if any(_is_number(v) and not math.isfinite(v) for v in numbers):
            raise _fail(key, "must be a finite number", value, "write a plain number")
    steps = policy.steps
    if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
        raise _fail(
            "steps", "must be strictly increasing", list(steps), "e.g. steps: [5, 25, 50, 100]"
        )
    if not policy.observed_steps:
        raise _fail(
            "steps",
            "needs at least one step below 100 to compare the variants",
            list(steps),
            "start with a small weight, e.g. steps: [10, 100]",
        )
    bake, deadline = policy.min_bake_seconds, policy.max_duration_seconds
    if deadline < bake * len(policy.observed_steps):
        raise _fail(
            "max_duration_seconds",
            f"is shorter than min_bake_seconds x {len(policy.observed_steps)} steps, so no "
            "candidate could ever be promoted",
            deadline,
            f"raise it to at least {bake * len(policy.observed_steps):g} seconds, or lower "
            "rollout.min_bake_seconds",
        )
