"""Single-look statistics, for people and for comparison; the rollout never decides with them.

:func:`ratio_confidence_interval` is the plain interval shown in a decision's evidence;
:func:`fixed_horizon_sample_size` is what a classic one-look test would need, the benchmark's
yardstick for the sequential test of :mod:`stainless.rollout.statistics`. Both are valid for one
look at one sample only, which is exactly why the rollout uses the sequential test instead.
"""

from __future__ import annotations

import math

from scipy import special, stats


def ratio_confidence_interval(
    candidate_errors: int,
    candidate_requests: int,
    production_errors: int,
    production_requests: int,
    confidence: float = 0.95,
) -> tuple[float, float] | None:
    """Plain (single-look) confidence interval for candidate / production error-rate ratio.

    For people reading a decision, not for deciding: it is exact (Clopper-Pearson) for the
    candidate's share of errors and mapped to a ratio, so it assumes one traffic split (use the
    counts of one step). It is *not* corrected for repeated looks. The upper end is ``inf`` when
    the candidate has all the errors; None when there is nothing to say (no errors, no traffic).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must be in (0, 1)")
    errors = candidate_errors + production_errors
    if errors == 0 or candidate_requests <= 0 or production_requests <= 0:
        return None
    tail = (1.0 - confidence) / 2.0
    k = candidate_errors
    # Clopper-Pearson bounds on the share are beta quantiles; k = 0 or k = E are the open ends.
    # special.betaincinv *is* the beta quantile that stats.beta.ppf wraps; called directly
    # because this runs every tick and the wrapper's argument checks cost 15x the maths.
    low_share = float(special.betaincinv(k, errors - k + 1, tail)) if k > 0 else 0.0
    high_share = float(special.betaincinv(k + 1, errors - k, 1.0 - tail)) if k < errors else 1.0
    exposure = production_requests / candidate_requests
    low = low_share / (1.0 - low_share) * exposure
    high = math.inf if high_share >= 1.0 else high_share / (1.0 - high_share) * exposure
    return low, high


def fixed_horizon_sample_size(
    p_old: float,
    ratio: float,
    alpha: float = 0.01,
    power: float = 0.95,
    weight: float = 5.0,
) -> int:
    """Candidate requests a classic one-look test needs to catch ``ratio`` x ``p_old``.

    One-sided two-proportion z-test (normal approximation, pooled variance under the null) with
    the candidate on ``weight`` percent of traffic, so production gets ``(100 - weight) /
    weight`` requests per candidate request. For comparison only: this test is valid for a
    single look at exactly this sample size, never for peeking every tick.
    """
    if not 0.0 < p_old < 1.0 or not ratio > 1.0 or not p_old * ratio < 1.0:
        raise ValueError("need 0 < p_old < p_old * ratio < 1")
    if not 0.0 < alpha < 1.0 or not 0.0 < power < 1.0:
        raise ValueError("alpha and power must be in (0, 1)")
    if not 0.0 < weight < 100.0:
        raise ValueError("weight is the candidate's traffic percentage, in (0, 100)")
    k = (100.0 - weight) / weight  # production requests per candidate request
    p1, p0 = p_old * ratio, p_old
    pooled = (p1 + k * p0) / (1.0 + k)
    z_alpha = stats.norm.ppf(1.0 - alpha)
    z_power = stats.norm.ppf(power)
    spread_null = math.sqrt(pooled * (1.0 - pooled) * (1.0 + 1.0 / k))
    spread_alt = math.sqrt(p1 * (1.0 - p1) + p0 * (1.0 - p0) / k)
    n = ((z_alpha * spread_null + z_power * spread_alt) / (p1 - p0)) ** 2
    return math.ceil(n)


__all__ = ["fixed_horizon_sample_size", "ratio_confidence_interval"]
