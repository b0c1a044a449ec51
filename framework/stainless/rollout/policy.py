"""The knobs of a canary rollout (``model.yaml`` -> ``rollout:``), validated once, up front.

A bad rollout policy must fail when the model is configured, not an hour into a rollout, so
:meth:`RolloutPolicy.from_mapping` checks every key and raises an error naming it
(``rollout.steps: ...``). The defaults are not arbitrary: they were tuned with
``benchmarks/canary.py`` so that, on 200-1000 requests a minute, a healthy candidate is rolled
back well under 1 % of the time while a candidate with twice production's error rate (at 1 %) is
rolled back before full promotion more than 95 % of the time. ``docs/rollout-statistics.md``
explains each one and how to tune it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from functools import cached_property
from typing import Any, Literal

from stainless.core.durations import DURATION_PATTERN, parse_duration
from stainless.core.errors import ConfigError, truncate

OnInconclusive = Literal["rollback", "promote", "pause"]
ON_INCONCLUSIVE_CHOICES: tuple[str, ...] = ("rollback", "promote", "pause")


class RolloutPolicyError(ConfigError, ValueError):
    """An invalid ``rollout`` setting; also a ``ValueError`` for plain Python callers."""


@dataclass(frozen=True)
class RolloutPolicy:
    """How traffic moves to a candidate model and when the rollout stops.

    Weights are the candidate's share of live traffic in percent. A last step of 100 is the
    promotion itself (nothing can be compared once production gets no traffic), so the steps the
    statistics watch are the ones below 100: see :attr:`observed_steps`.
    """

    # 5 % first limits the harm of a bad model; later steps mostly buy time-to-promotion.
    steps: tuple[float, ...] = (5.0, 10.0, 25.0, 50.0, 100.0)
    # Candidate requests needed at each observed step before moving on. 1500 per step (6000 before
    # promotion with the default steps) lets the sequential test catch a 2x regression at a 1 %
    # error rate before promotion 99.5 % of the time in the benchmark; with 1000 it is ~95 %,
    # no margin left for noisier traffic than the benchmark's.
    min_requests_per_step: int = 1500
    # Let caches, autoscaling and slow periodic jobs show up before moving on, however busy.
    min_bake_seconds: float = 60.0
    # A rollout that cannot decide in 6 hours is stopped and `on_inconclusive` applies.
    max_duration_seconds: float = 6 * 3600.0
    # Relative error-rate increase that still counts as "no worse". 0 because a canary's sample
    # cannot tell 1.1x from 1x anyway: a tolerance only costs power (with 0.1 the benchmark's
    # median requests to catch a 2x regression grow from ~1,400 to ~1,900), while alpha already
    # protects an equally good candidate. Raise it to knowingly accept a small regression.
    error_rate_tolerance: float = 0.0
    # Bound on the probability of rolling back a candidate that is no worse, however often we look.
    alpha: float = 0.01
    # Roll back if the candidate's p95 latency exceeds production's by this factor; None = off.
    latency_guard_ratio: float | None = 1.5
    # Candidate requests at the current step before the latency guard may fire (p95 of a few
    # dozen requests is mostly noise).
    latency_min_requests: int = 300
    # What to do when max_duration_seconds passes with no conclusion.
    on_inconclusive: OnInconclusive = "rollback"
    # Spread of the regressions the test is tuned to, as a half-normal scale on log(error-rate
    # ratio). 1.0 puts half the weight on regressions up to ~2x and 95 % up to ~7x.
    mixture_prior_scale: float = 1.0

    def __post_init__(self) -> None:
        # Direct construction gets the same checks as from_mapping: a controller may build one.
        if isinstance(self.steps, list | tuple) and all(_is_number(s) for s in self.steps):
            object.__setattr__(self, "steps", tuple(float(s) for s in self.steps))
        _validate(self)

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
        :class:`RolloutPolicyError` (a ``ValueError``) naming the offending key.
        """
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping):
            raise RolloutPolicyError(
                "must be a mapping of settings", key="rollout", found=truncate(mapping)
            )
        known = {f.name for f in fields(cls)}
        for key in mapping:
            if key not in known:
                raise RolloutPolicyError(
                    "unknown setting",
                    key=f"rollout.{key}",
                    expected="one of " + ", ".join(sorted(known)),
                )
        values: dict[str, Any] = {}
        for key, raw in mapping.items():
            values[key] = _coerce(key, raw)
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (e.g. for a controller to persist next to its state)."""
        data = asdict(self)
        data["steps"] = list(self.steps)
        return data


def _fail(key: str, message: str, found: Any) -> RolloutPolicyError:
    return RolloutPolicyError(message, key=f"rollout.{key}", found=truncate(found))


def _is_number(value: Any) -> bool:
    # bool is an int in Python, but `steps: [true]` is a typo, not a weight.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coerce(key: str, raw: Any) -> Any:
    """Turn YAML values into the field's type (lists to tuples, durations to seconds)."""
    if key == "steps":
        if not isinstance(raw, list | tuple) or not all(_is_number(s) for s in raw):
            raise _fail(key, "must be a list of percentages such as [5, 25, 50, 100]", raw)
        return tuple(float(s) for s in raw)
    if key in ("min_bake_seconds", "max_duration_seconds"):
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            raise _fail(key, "must be seconds or a duration like 90s, 30m, 2h", raw)
        try:
            return parse_duration(raw)
        except ValueError:
            raise _fail(key, "must be seconds or a duration like 90s, 30m, 2h", raw) from None
    return raw


def _validate(policy: RolloutPolicy) -> None:
    steps = policy.steps
    if (
        not isinstance(steps, tuple)
        or not steps
        or not all(_is_number(s) and 0.0 < s <= 100.0 for s in steps)
    ):
        raise _fail("steps", "must be a non-empty list of percentages in (0, 100]", steps)
    if any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
        raise _fail("steps", "must be strictly increasing", list(steps))
    if not policy.observed_steps:
        raise _fail("steps", "needs at least one step below 100 to compare the variants", steps)

    for key in ("min_requests_per_step", "latency_min_requests"):
        value = getattr(policy, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise _fail(key, "must be a whole number of requests, at least 1", value)

    bake, deadline = policy.min_bake_seconds, policy.max_duration_seconds
    if not _is_number(bake) or not math.isfinite(bake) or bake < 0:
        raise _fail("min_bake_seconds", "must be a duration of 0 seconds or more", bake)
    if not _is_number(deadline) or not math.isfinite(deadline) or deadline <= 0:
        raise _fail("max_duration_seconds", "must be a positive duration", deadline)
    if deadline < bake * len(policy.observed_steps):
        raise _fail(
            "max_duration_seconds",
            f"is shorter than min_bake_seconds x {len(policy.observed_steps)} steps, so no "
            "candidate could ever be promoted",
            deadline,
        )

    tol = policy.error_rate_tolerance
    if not _is_number(tol) or not math.isfinite(tol) or tol < 0:
        raise _fail("error_rate_tolerance", "must be a relative increase of 0 or more", tol)
    alpha = policy.alpha
    if not _is_number(alpha) or not 0.0 < alpha < 0.5:
        raise _fail("alpha", "must be a probability between 0 and 0.5 (e.g. 0.01)", alpha)
    ratio = policy.latency_guard_ratio
    if ratio is not None and (not _is_number(ratio) or not math.isfinite(ratio) or ratio < 1.0):
        raise _fail(
            "latency_guard_ratio", "must be a factor of 1 or more, or null to turn off", ratio
        )
    if policy.on_inconclusive not in ON_INCONCLUSIVE_CHOICES:
        raise _fail(
            "on_inconclusive",
            "must be one of " + ", ".join(ON_INCONCLUSIVE_CHOICES),
            policy.on_inconclusive,
        )
    scale = policy.mixture_prior_scale
    if not _is_number(scale) or not math.isfinite(scale) or not 0.05 <= scale <= 5.0:
        raise _fail("mixture_prior_scale", "must be a number between 0.05 and 5", scale)


_DURATION_TYPES = ["number", "string"]

# Embedded by the model.yaml schema under `rollout`; keep in step with RolloutPolicy (a test checks
# the defaults agree). Draft 2020-12; no "$schema" here because a fragment is not a schema root.
ROLLOUT_POLICY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "default": {},
    "description": (
        "Canary rollout of a promoted model: traffic moves to it step by step while a "
        "sequential test compares its error rate with production's."
    ),
    "properties": {
        "steps": {
            "type": "array",
            "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
            "minItems": 1,
            "default": [5, 10, 25, 50, 100],
            "description": (
                "Candidate traffic weights in percent, strictly increasing; a final 100 is the "
                "promotion itself."
            ),
        },
        "min_requests_per_step": {
            "type": "integer",
            "minimum": 1,
            "default": 1500,
            "description": (
                "Candidate requests needed at each step before traffic moves on; also the "
                "minimum sample below which a candidate is never promoted."
            ),
        },
        "min_bake_seconds": {
            "type": _DURATION_TYPES,
            "pattern": DURATION_PATTERN,
            "minimum": 0,
            "default": 60,
            "description": "Least time spent at each step (seconds, or e.g. 90s, 5m).",
        },
        "max_duration_seconds": {
            "type": _DURATION_TYPES,
            "pattern": DURATION_PATTERN,
            "exclusiveMinimum": 0,
            "default": 21600,
            "description": (
                "Deadline for the whole rollout (seconds, or e.g. 6h); when it passes with no "
                "conclusion, on_inconclusive applies."
            ),
        },
        "error_rate_tolerance": {
            "type": "number",
            "minimum": 0,
            "default": 0.0,
            "description": (
                "Relative error-rate increase still accepted as 'no worse' (0.1 = up to 10 % "
                "more errors than production)."
            ),
        },
        "alpha": {
            "type": "number",
            "exclusiveMinimum": 0,
            "exclusiveMaximum": 0.5,
            "default": 0.01,
            "description": (
                "Largest probability of rolling back a candidate that is in fact no worse, "
                "however many times the test looks."
            ),
        },
        "latency_guard_ratio": {
            "type": ["number", "null"],
            "minimum": 1,
            "default": 1.5,
            "description": (
                "Roll back when the candidate's p95 latency exceeds production's by this factor; "
                "null turns the guard off."
            ),
        },
        "latency_min_requests": {
            "type": "integer",
            "minimum": 1,
            "default": 300,
            "description": (
                "Candidate requests at the current step before the latency guard may fire."
            ),
        },
        "on_inconclusive": {
            "enum": list(ON_INCONCLUSIVE_CHOICES),
            "default": "rollback",
            "description": (
                "When the deadline passes undecided: rollback, promote (only if the minimum "
                "sample was reached) or pause (hold the weights and wait for a person)."
            ),
        },
        "mixture_prior_scale": {
            "type": "number",
            "minimum": 0.05,
            "maximum": 5,
            "default": 1.0,
            "description": (
                "Advanced: spread of the regressions the test is tuned to, as a half-normal scale "
                "on the log error-rate ratio (1.0: half the weight on regressions up to ~2x)."
            ),
        },
    },
}
