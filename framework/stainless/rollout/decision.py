"""One tick of a canary rollout: advance, roll back, wait or promote. Pure, no I/O.

A controller (persisted state machine, endpoint weights, schedule) calls :func:`decide` on every
tick with what it has observed and carries out the returned :class:`Decision`. Keeping the rules
in one pure function means the benchmark (``benchmarks/canary.py``) and the tests drive exactly
the code that runs in production, and a decision can be replayed from its inputs.

The rules, in the order they are applied:

1. **rollback** when the sequential error test (:mod:`stainless.rollout.statistics`) crosses
   ``1/alpha`` over all ticks since the rollout began, or when the latency guard
   (:mod:`stainless.rollout.latency`) trips;
2. **promote** at the last step below 100 % once it has its minimum requests and bake time (and
   the whole rollout has at least ``policy.min_promotion_requests`` candidate requests);
3. when the rollout deadline has passed, ``policy.on_inconclusive`` (rollback / promote /
   pause), never promoting below the minimum sample; the cause is "not_enough_traffic" when
   the traffic never brought the minimum sample (no verdict on the model), else "deadline";
4. **advance** at an earlier step once it has its minimum requests and bake time;
5. otherwise **wait**: not enough data yet to move on, and no sign of trouble.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from stainless.rollout.latency import LatencySummary, latency_trip, summarise_latency
from stainless.rollout.observations import (
    C_CLIENT,
    C_ERR,
    C_EXP,
    P_CLIENT,
    P_ERR,
    P_EXP,
    STEP,
    StepObservations,
    Tick,
    VariantCounts,
    count_table,
)
from stainless.rollout.policy import RolloutPolicy
from stainless.rollout.single_look import ratio_confidence_interval
from stainless.rollout.statistics import ErrorShareTest, ShareTestResult

Action = Literal["advance", "rollback", "wait", "promote"]
# Which rule produced the decision, for metrics and alerts (the reason says it in words).
# "not_enough_traffic": the deadline passed before the minimum sample was collected, which is
# no verdict on the model; "deadline": it passed for another reason (bake time).
Cause = Literal[
    "error_test",
    "latency_guard",
    "deadline",
    "not_enough_traffic",
    "sample_reached",
    "collecting",
]
Evidence = dict[str, float | str | None]

# The interval shown to people in `evidence`; decisions never use it.
DISPLAY_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Decision:
    """What the controller should do now, why (in plain words), and the numbers behind it.

    ``target_weight`` is the candidate's traffic percentage to set: the next step on
    "advance", 100 on "promote", 0 on "rollback", unchanged on "wait". ``cause`` names the rule
    that fired: "error_test" or "latency_guard" (rollback), "not_enough_traffic" or "deadline"
    (the deadline passed and on_inconclusive applied), "sample_reached" (advance / promote) or
    "collecting" (wait). ``paused`` is True when the deadline passed and the weights are held
    for a person (action "wait"): keep ticking (a regression still rolls back) and notify
    someone. ``evidence`` values are floats (and the latency percentile's name), or None where a
    number is undefined so far (e.g. a rate with no requests); it is JSON-ready.
    """

    action: Action
    reason: str
    evidence: Evidence
    target_weight: float
    cause: Cause
    paused: bool = False

    @property
    def inconclusive(self) -> bool:
        """The deadline passed without a verdict on the model (not a failure of the model)."""
        return self.cause in ("not_enough_traffic", "deadline")


@dataclass(frozen=True)
class _StepSummary:
    cand_requests: int
    cand_errors: int
    cand_client_errors: int
    prod_requests: int
    prod_errors: int
    prod_client_errors: int


def _share_test(counts: np.ndarray, policy: RolloutPolicy) -> ShareTestResult:
    """The error test over all ticks, for this policy's alpha, tolerance and prior."""
    return (
        ErrorShareTest(
            alpha=policy.alpha,
            tolerance=policy.error_rate_tolerance,
            prior_scale=policy.mixture_prior_scale,
        )
        .update(counts[:, C_EXP], counts[:, C_ERR], counts[:, P_EXP], counts[:, P_ERR])
        .result()
    )


def _summarise_step(counts: np.ndarray, index: int) -> _StepSummary:
    # Ticks are in step order, so the current step is the tail of the table.
    start = int(np.searchsorted(counts[:, STEP], index, side="left"))
    sums = counts[start:].sum(axis=0).tolist()
    return _StepSummary(
        cand_requests=sums[C_EXP],
        cand_errors=sums[C_ERR],
        cand_client_errors=sums[C_CLIENT],
        prod_requests=sums[P_EXP],
        prod_errors=sums[P_ERR],
        prod_client_errors=sums[P_CLIENT],
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

    counts = count_table(observations.ticks)
    test = _share_test(counts, policy)
    step = _summarise_step(counts, index)
    latency = summarise_latency(observations.current_step_ticks, policy.latency_percentile)
    bake = now - observations.step_started_at
    elapsed = now - observations.rollout_started_at
    evidence = _evidence(policy, index, weight, test, step, latency, bake, elapsed)

    def decision(
        action: Action, cause: Cause, reason: str, target: float, paused: bool = False
    ) -> Decision:
        return Decision(action, reason, evidence, target, cause, paused)

    # 1. Regressions first: no amount of waiting or deadline pressure overrides them.
    if test.crossed:
        return decision("rollback", "error_test", _error_rollback_reason(test), 0.0)
    latency_reason = latency_trip(policy, latency)
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

    # 3. Out of time without a conclusion. Usually because the traffic never brought the minimum
    # sample: that is no verdict on the model, and it is reported as such.
    if elapsed >= policy.max_duration_seconds:
        short = step.cand_requests < policy.min_requests_per_step or (
            is_last and not enough_to_promote
        )
        cause: Cause = "not_enough_traffic" if short else "deadline"
        overdue = (
            f"The rollout passed its {policy.max_duration_seconds:,.0f} s deadline at "
            f"{weight:g} % with {no_regression}"
        )
        if short:
            overdue = (
                f"Not enough traffic (no verdict on the model): the rollout passed its "
                f"{policy.max_duration_seconds:,.0f} s deadline at {weight:g} % with "
                f"{step.cand_requests:,} of the {policy.min_requests_per_step:,} candidate "
                f"requests this step needs ({test.candidate_requests:,} of the "
                f"{policy.min_promotion_requests:,} a promotion needs) and {no_regression}. "
                "For this traffic, raise rollout.max_duration_seconds or lower "
                "rollout.min_requests_per_step (docs/rollout-statistics.md)"
            )
        choice = policy.on_inconclusive
        if choice == "rollback":
            return decision("rollback", cause, f"{overdue}; on_inconclusive is rollback.", 0.0)
        if choice == "promote" and enough_to_promote:
            return decision(  # the rollout as a whole had its sample: "deadline", not traffic
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
            cause,
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


def _evidence(
    policy: RolloutPolicy,
    index: int,
    weight: float,
    test: ShareTestResult,
    step: _StepSummary,
    latency: LatencySummary,
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
        # Latency at this step: medians over its ticks (see stainless.rollout.latency).
        "latency_percentile": latency.percentile,
        "candidate_latency_ms": latency.candidate_ms,
        "production_latency_ms": latency.production_ms,
        "latency_ratio": latency.median_ratio,
        "latency_ticks": float(latency.ticks),
        "latency_guard_ratio": policy.latency_guard_ratio,
        "min_requests_per_step": float(policy.min_requests_per_step),
        "min_promotion_requests": float(policy.min_promotion_requests),
    }


__all__ = ["Action", "Cause", "Decision", "StepObservations", "Tick", "VariantCounts", "decide"]
