"""One tick of a canary rollout: advance, roll back, wait or promote. Pure, no I/O.

A controller (persisted state machine, endpoint weights, schedule) calls :func:`decide` on every
tick with what it has observed and carries out the returned :class:`Decision`. Keeping the rules
in one pure function means the benchmark (``benchmarks/canary.py``) and the tests drive exactly
the code that runs in production, and a decision can be replayed from its inputs.

The rules, in the order they are applied:

1. **rollback** when the sequential error test (:mod:`stainless.rollout.statistics`) crosses
   ``1/alpha`` over all ticks since the rollout began, or when the latency guard trips;
2. **promote** at the last step below 100 % once it has its minimum requests and bake time (and
   the whole rollout has at least ``policy.min_promotion_requests`` candidate requests);
3. when the rollout deadline has passed, ``policy.on_inconclusive`` (rollback / promote /
   pause), never promoting below the minimum sample;
4. **advance** at an earlier step once it has its minimum requests and bake time;
5. otherwise **wait**: not enough data yet to move on, and no sign of trouble.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from stainless.rollout.policy import RolloutPolicy
from stainless.rollout.statistics import (
    ErrorShareTest,
    ShareTestResult,
    ratio_confidence_interval,
)

Action = Literal["advance", "rollback", "wait", "promote"]
# Which rule produced the decision, for metrics and alerts (the reason says it in words).
Cause = Literal["error_test", "latency_guard", "deadline", "sample_reached", "collecting"]
Evidence = dict[str, float | None]

# The interval shown to people in `evidence`; decisions never use it.
DISPLAY_CONFIDENCE = 0.95


def _count(name: str, value: object) -> int:
    # numbers.Integral admits numpy integers (counts often come out of arrays); bool is a typo.
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class VariantCounts:
    """What one variant did during one tick.

    ``errors`` are the errors the model is to blame for (HTTP 5xx, and 4xx *not* caused by an
    invalid request); ``client_errors`` are the invalid requests, excluded upstream from
    ``errors``. Invalid requests never reach a point where the model could fail, so they are
    also taken out of the exposure the error rate is computed on.
    """

    requests: int
    errors: int
    client_errors: int = 0
    latency_p95_ms: float | None = None

    def __post_init__(self) -> None:
        for name in ("requests", "errors", "client_errors"):
            object.__setattr__(self, name, _count(name, getattr(self, name)))
        if self.errors + self.client_errors > self.requests:
            raise ValueError(
                f"errors ({self.errors}) + client_errors ({self.client_errors}) exceed "
                f"requests ({self.requests})"
            )
        p95 = self.latency_p95_ms
        if p95 is not None:
            if (
                isinstance(p95, bool)
                or not isinstance(p95, numbers.Real)
                or not 0 <= p95 < math.inf
            ):
                raise ValueError(
                    f"latency_p95_ms must be a non-negative number or None, got {p95!r}"
                )
            object.__setattr__(self, "latency_p95_ms", float(p95))

    @property
    def exposure(self) -> int:
        """Requests that could have failed because of the model."""
        return self.requests - self.client_errors


@dataclass(frozen=True)
class Tick:
    """Counts of both variants over one tick, and the step (index into the policy) it ran at."""

    step_index: int
    candidate: VariantCounts
    production: VariantCounts

    def __post_init__(self) -> None:
        object.__setattr__(self, "step_index", _count("step_index", self.step_index))
        if not isinstance(self.candidate, VariantCounts) or not isinstance(
            self.production, VariantCounts
        ):
            raise ValueError("a Tick needs VariantCounts for candidate and production")


@dataclass(frozen=True, eq=False)
class StepObservations:
    """Everything :func:`decide` needs to know about the rollout so far.

    ``ticks`` must hold **every tick since the rollout began**, across all steps, oldest first:
    the error test runs over all of them (one alpha for the whole rollout), while minimum
    requests, bake time, latency and the displayed rates use the ticks of the current step.
    Times are seconds on one clock (e.g. ``time.time()``), the same clock as ``now``.

    Build it from stored ticks each time, or keep one and call :meth:`add_tick` /
    :meth:`next_step`: decisions are identical, but the latter reuses earlier work, so a long
    rollout costs the same per tick at the end as at the start.
    """

    step_index: int
    step_started_at: float
    rollout_started_at: float
    ticks: Sequence[Tick] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "step_index", _count("step_index", self.step_index))
        if not isinstance(self.ticks, tuple):
            object.__setattr__(self, "ticks", tuple(self.ticks))
        if self.step_started_at < self.rollout_started_at:
            raise ValueError("step_started_at is before rollout_started_at")
        previous = 0
        for tick in self.ticks:
            _check_tick(tick, previous, self.step_index)
            previous = tick.step_index

    def add_tick(self, tick: Tick) -> StepObservations:
        """The same rollout with one more tick, which must be at the current step."""
        _check_tick(tick, self.step_index, self.step_index)
        child = _bare(self, self.step_index, self.step_started_at, (*self.ticks, tick))
        memo = self.__dict__.get(_MEMO)
        if memo:
            row, latency = _tick_row(tick), _tick_latency(tick)
            grown: dict[object, object] = {}
            for key, value in memo.items():
                if key == "counts":
                    grown[key] = _frozen(np.concatenate([value, row[None, :]]))
                elif key == "latency":
                    grown[key] = _frozen(np.concatenate([value, latency[None, :]]))
                else:  # a running error test: add this tick to it
                    grown[key] = value.add_tick(
                        tick.candidate.exposure,
                        tick.candidate.errors,
                        tick.production.exposure,
                        tick.production.errors,
                    )
            child.__dict__[_MEMO] = grown
        return child

    def next_step(self, started_at: float) -> StepObservations:
        """The same rollout moved on to the next step at ``started_at`` (after "advance")."""
        if started_at < self.step_started_at:
            raise ValueError("the next step cannot start before the current one")
        child = _bare(self, self.step_index + 1, started_at, self.ticks)
        memo = self.__dict__.get(_MEMO)
        if memo:
            child.__dict__[_MEMO] = dict(memo)  # same ticks, same tables and tests
        return child


def _check_tick(tick: object, previous: int, current: int) -> None:
    if not isinstance(tick, Tick):
        raise ValueError(f"ticks must be Tick objects, got {type(tick).__name__}")
    if not previous <= tick.step_index <= current:
        raise ValueError(
            "ticks must be in time order with step_index never above the current step "
            f"({current}); found {tick.step_index} after {previous}"
        )


def _bare(
    parent: StepObservations, step_index: int, started_at: float, ticks: tuple[Tick, ...]
) -> StepObservations:
    # Skips __post_init__, which would re-check every earlier tick; callers check what is new.
    child = object.__new__(StepObservations)
    object.__setattr__(child, "step_index", step_index)
    object.__setattr__(child, "step_started_at", started_at)
    object.__setattr__(child, "rollout_started_at", parent.rollout_started_at)
    object.__setattr__(child, "ticks", ticks)
    return child


@dataclass(frozen=True)
class Decision:
    """What the controller should do now, why (in plain words), and the numbers behind it.

    ``target_weight`` is the candidate's traffic percentage to set: the next step on
    "advance", 100 on "promote", 0 on "rollback", unchanged on "wait". ``cause`` names the rule
    that fired: "error_test" or "latency_guard" (rollback), "deadline" (on_inconclusive
    applied), "sample_reached" (advance / promote) or "collecting" (wait). ``paused`` is True
    when the deadline passed and the weights are held for a person (action "wait"): keep
    ticking (a regression still rolls back) and notify someone.
    ``evidence`` values are floats, or None where a number is undefined so far (e.g. a rate
    with no requests); it is JSON-ready.
    """

    action: Action
    reason: str
    evidence: Evidence
    target_weight: float
    cause: Cause
    paused: bool = False


@dataclass(frozen=True)
class _StepSummary:
    cand_requests: int
    cand_errors: int
    cand_client_errors: int
    prod_requests: int
    prod_errors: int
    prod_client_errors: int
    cand_p95: float | None
    cand_latency_requests: int
    prod_p95: float | None


# Per-observations memo (tables and running tests derived from the ticks; never changes results).
_MEMO = "_memo"
# Columns of the per-tick count table.
_STEP, _C_EXP, _C_ERR, _P_EXP, _P_ERR, _C_CLIENT, _P_CLIENT = range(7)


def _frozen(array: NDArray) -> NDArray:
    array.setflags(write=False)
    return array


def _tick_row(t: Tick) -> NDArray[np.int64]:
    c, p = t.candidate, t.production
    return np.array(
        [
            t.step_index,
            c.requests - c.client_errors,
            c.errors,
            p.requests - p.client_errors,
            p.errors,
            c.client_errors,
            p.client_errors,
        ],
        dtype=np.int64,
    )


def _tick_latency(t: Tick) -> NDArray[np.float64]:
    """Candidate p95, its weight, production p95, its weight (weight 0 and p95 inf if unknown)."""
    row = []
    for counts in (t.candidate, t.production):
        p95 = counts.latency_p95_ms
        known = p95 is not None and counts.exposure > 0
        row += [p95 if known else math.inf, counts.exposure if known else 0]
    return np.array(row, dtype=np.float64)


def _memo(observations: StepObservations) -> dict[object, object]:
    # Frozen dataclass: the memo lives in the instance dict, beside (not in) the fields.
    return observations.__dict__.setdefault(_MEMO, {})


def _counts(observations: StepObservations) -> NDArray[np.int64]:
    """Per tick: step, candidate exposure/errors, production exposure/errors, client errors."""
    memo = _memo(observations)
    if "counts" not in memo:
        ticks = observations.ticks
        rows = [
            (
                t.step_index,
                t.candidate.requests - t.candidate.client_errors,
                t.candidate.errors,
                t.production.requests - t.production.client_errors,
                t.production.errors,
                t.candidate.client_errors,
                t.production.client_errors,
            )
            for t in ticks
        ]
        memo["counts"] = _frozen(np.array(rows, dtype=np.int64).reshape(len(rows), 7))
    return memo["counts"]  # type: ignore[return-value]


def _latencies(observations: StepObservations) -> NDArray[np.float64]:
    """One row per tick: p95 and weight of candidate, then production (see _tick_latency)."""
    memo = _memo(observations)
    if "latency" not in memo:
        ticks = observations.ticks
        memo["latency"] = _frozen(
            np.array([_tick_latency(t) for t in ticks], dtype=np.float64).reshape(len(ticks), 4)
        )
    return memo["latency"]  # type: ignore[return-value]


def _share_test(observations: StepObservations, policy: RolloutPolicy) -> ErrorShareTest:
    """The error test over all ticks, for this policy's alpha, tolerance and prior."""
    key = ("test", policy.alpha, policy.error_rate_tolerance, policy.mixture_prior_scale)
    memo = _memo(observations)
    if key not in memo:
        counts = _counts(observations)
        memo[key] = ErrorShareTest(
            alpha=policy.alpha,
            tolerance=policy.error_rate_tolerance,
            prior_scale=policy.mixture_prior_scale,
        ).update(counts[:, _C_EXP], counts[:, _C_ERR], counts[:, _P_EXP], counts[:, _P_ERR])
    return memo[key]  # type: ignore[return-value]


def _weighted_medians(latency: NDArray[np.float64]) -> tuple[float | None, float | None]:
    """Request-weighted median of per-tick p95s, for candidate and production at once.

    Percentiles of different ticks cannot be merged exactly; a median is robust to the odd slow
    tick (a cold start, a GC pause) that a mean would let trip the guard on its own. Unknown
    p95s sort last with weight 0, so they never count.
    """
    medians: list[float | None] = []
    for column in (0, 2):
        weights = latency[:, column + 1]
        total = float(weights.sum())
        if total <= 0:
            medians.append(None)
            continue
        values = latency[:, column]
        order = values.argsort(kind="stable")
        running = weights[order].cumsum()
        middle = int(running.searchsorted(total / 2.0))  # first tick reaching half the requests
        medians.append(float(values[order[middle]]))
    return medians[0], medians[1]


def _summarise_step(observations: StepObservations, index: int) -> _StepSummary:
    counts, latency = _counts(observations), _latencies(observations)
    # Ticks are in step order, so the current step is the tail of the tables.
    start = int(np.searchsorted(counts[:, _STEP], index, side="left"))
    sums = counts[start:].sum(axis=0)
    latency = latency[start:]
    cand_p95, prod_p95 = _weighted_medians(latency)
    return _StepSummary(
        cand_requests=int(sums[_C_EXP]),
        cand_errors=int(sums[_C_ERR]),
        cand_client_errors=int(sums[_C_CLIENT]),
        prod_requests=int(sums[_P_EXP]),
        prod_errors=int(sums[_P_ERR]),
        prod_client_errors=int(sums[_P_CLIENT]),
        cand_p95=cand_p95,
        cand_latency_requests=int(latency[:, 1].sum()),
        prod_p95=prod_p95,
    )


def _rate(errors: int, requests: int) -> float | None:
    return errors / requests if requests > 0 else None


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def decide(policy: RolloutPolicy, observations: StepObservations, now: float) -> Decision:
    """Decide what the rollout does at time ``now`` (see the module docstring for the rules)."""
    steps = policy.observed_steps
    index = observations.step_index
    if index >= len(steps):
        raise ValueError(
            f"step_index {index} is not an observed step: the policy has {len(steps)} steps "
            f"below 100 % ({list(steps)}); reaching 100 % is the promotion itself"
        )
    weight = steps[index]
    is_last = index == len(steps) - 1

    test = _share_test(observations, policy).result()
    step = _summarise_step(observations, index)
    bake = now - observations.step_started_at
    elapsed = now - observations.rollout_started_at
    evidence = _evidence(policy, index, weight, test, step, bake, elapsed)

    def decision(
        action: Action, cause: Cause, reason: str, target: float, paused: bool = False
    ) -> Decision:
        return Decision(action, reason, evidence, target, cause, paused)

    # 1. Regressions first: no amount of waiting or deadline pressure overrides them.
    if test.crossed:
        return decision("rollback", "error_test", _error_rollback_reason(test), 0.0)
    latency_reason = _latency_trip(policy, step)
    if latency_reason:
        return decision("rollback", "latency_guard", latency_reason, 0.0)

    step_ready = (
        step.cand_requests >= policy.min_requests_per_step and bake >= policy.min_bake_seconds
    )
    enough_to_promote = test.candidate_requests >= policy.min_promotion_requests
    no_regression = (
        f"the error test below its bar (evidence {test.likelihood_ratio:.3g} of the "
        f"{1 / policy.alpha:.0f} needed to roll back; candidate error rate "
        f"{_pct(_rate(step.cand_errors, step.cand_requests))} vs production "
        f"{_pct(_rate(step.prod_errors, step.prod_requests))} at this step)"
    )

    # 2. Normal end of the rollout.
    if is_last and step_ready and enough_to_promote:
        return decision(
            "promote",
            "sample_reached",
            f"Promote: {test.candidate_requests:,} candidate requests over {len(steps)} "
            f"step(s) with {no_regression}.",
            100.0,
        )

    # 3. Out of time without a conclusion.
    if elapsed >= policy.max_duration_seconds:
        overdue = (
            f"The rollout passed its {policy.max_duration_seconds:,.0f} s deadline at "
            f"{weight:g} % with {no_regression}"
        )
        choice = policy.on_inconclusive
        if choice == "rollback":
            return decision("rollback", "deadline", f"{overdue}; on_inconclusive is rollback.", 0.0)
        if choice == "promote" and enough_to_promote:
            return decision(
                "promote",
                "deadline",
                f"{overdue}; on_inconclusive is promote and the minimum sample of "
                f"{policy.min_promotion_requests:,} candidate requests was reached.",
                100.0,
            )
        if choice == "promote":
            held = (
                f"on_inconclusive is promote, but only {test.candidate_requests:,} of the "
                f"minimum {policy.min_promotion_requests:,} candidate requests were seen"
            )
        else:
            held = "on_inconclusive is pause"
        return decision(
            "wait",
            "deadline",
            f"{overdue}; {held}, so the weights are held for a person to decide.",
            weight,
            paused=True,
        )

    # 4. Move on to the next step.
    if step_ready and not is_last:
        return decision(
            "advance",
            "sample_reached",
            f"Advance to {steps[index + 1]:g} %: {step.cand_requests:,} candidate requests and "
            f"{bake:,.0f} s at {weight:g} % with {no_regression}.",
            steps[index + 1],
        )

    # 5. Keep collecting.
    missing = []
    if step.cand_requests < policy.min_requests_per_step:
        missing.append(
            f"{policy.min_requests_per_step - step.cand_requests:,} more candidate requests"
        )
    if bake < policy.min_bake_seconds:
        missing.append(f"{policy.min_bake_seconds - bake:,.0f} more seconds")
    if is_last and step_ready and not enough_to_promote:
        missing.append(
            f"{policy.min_promotion_requests - test.candidate_requests:,} more candidate "
            "requests in total before promotion"
        )
    return decision(
        "wait",
        "collecting",
        f"Wait at {weight:g} %: need {' and '.join(missing)}; so far {no_regression}.",
        weight,
    )


def _error_rollback_reason(test: ShareTestResult) -> str:
    return (
        f"Roll back: the candidate caused {test.observed_candidate_errors:,} of "
        f"{test.informative_errors:,} errors where about {test.expected_candidate_errors:,.1f} "
        f"were expected from its share of traffic (error rate {_pct(test.candidate_error_rate)} "
        f"vs production {_pct(test.production_error_rate)} over the rollout). The evidence "
        f"(likelihood ratio {test.likelihood_ratio:.3g}) passed the {1 / test.alpha:.0f} bar: "
        f"a candidate as good as production gets here less than {test.alpha:.0%} of the time."
    )


def _latency_trip(policy: RolloutPolicy, step: _StepSummary) -> str | None:
    ratio = policy.latency_guard_ratio
    if (
        ratio is None
        or step.cand_p95 is None
        or step.prod_p95 is None
        or step.prod_p95 <= 0
        or step.cand_latency_requests < policy.latency_min_requests
    ):
        return None
    if step.cand_p95 <= ratio * step.prod_p95:
        return None
    return (
        f"Roll back: the candidate's p95 latency at this step is {step.cand_p95:,.0f} ms, more "
        f"than {ratio:g} x production's {step.prod_p95:,.0f} ms (over "
        f"{step.cand_latency_requests:,} candidate requests)."
    )


def _evidence(
    policy: RolloutPolicy,
    index: int,
    weight: float,
    test: ShareTestResult,
    step: _StepSummary,
    bake: float,
    elapsed: float,
) -> Evidence:
    cand_rate = _rate(step.cand_errors, step.cand_requests)
    prod_rate = _rate(step.prod_errors, step.prod_requests)
    interval = ratio_confidence_interval(
        step.cand_errors,
        step.cand_requests,
        step.prod_errors,
        step.prod_requests,
        DISPLAY_CONFIDENCE,
    )
    latency_ratio = (
        step.cand_p95 / step.prod_p95 if step.cand_p95 is not None and step.prod_p95 else None
    )
    return {
        "step_index": float(index),
        "step_weight": weight,
        "bake_seconds": bake,
        "elapsed_seconds": elapsed,
        # Since the current step began: what min_requests_per_step and the guard look at.
        "candidate_requests_step": float(step.cand_requests),
        "production_requests_step": float(step.prod_requests),
        "candidate_errors_step": float(step.cand_errors),
        "production_errors_step": float(step.prod_errors),
        "candidate_client_errors_step": float(step.cand_client_errors),
        "production_client_errors_step": float(step.prod_client_errors),
        "candidate_error_rate_step": cand_rate,
        "production_error_rate_step": prod_rate,
        "error_rate_ratio_step": cand_rate / prod_rate
        if cand_rate is not None and prod_rate
        else None,
        "error_rate_ratio_ci95_low_step": interval[0] if interval else None,
        "error_rate_ratio_ci95_high_step": _finite(interval[1]) if interval else None,
        # Since the rollout began: what the sequential test looks at.
        "candidate_requests_total": float(test.candidate_requests),
        "production_requests_total": float(test.production_requests),
        "candidate_errors_total": float(test.candidate_errors),
        "production_errors_total": float(test.production_errors),
        "candidate_error_rate_total": test.candidate_error_rate,
        "production_error_rate_total": test.production_error_rate,
        "expected_candidate_errors": test.expected_candidate_errors,
        "observed_candidate_errors": float(test.observed_candidate_errors),
        "log_likelihood_ratio": test.log_lr,
        "log_threshold": test.log_threshold,
        "likelihood_ratio": test.likelihood_ratio,
        "threshold": 1.0 / test.alpha,
        "alpha": test.alpha,
        "candidate_p95_ms": step.cand_p95,
        "production_p95_ms": step.prod_p95,
        "latency_ratio": latency_ratio,
        "latency_guard_ratio": policy.latency_guard_ratio,
        "min_requests_per_step": float(policy.min_requests_per_step),
        "min_promotion_requests": float(policy.min_promotion_requests),
    }


__all__ = ["Action", "Cause", "Decision", "StepObservations", "Tick", "VariantCounts", "decide"]
