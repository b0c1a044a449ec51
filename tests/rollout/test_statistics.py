"""The sequential error test: valid under repeated looks, blind to shared spikes, and powerful."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from stainless.rollout.statistics import (
    ErrorShareTest,
    error_share_test,
    log_lr_path,
    mixture_prior,
)

WEIGHTS = (5.0, 10.0, 25.0, 50.0)


def simulate(
    rng: np.random.Generator,
    *,
    rollouts: int,
    ticks_per_step: int = 30,
    per_tick: int = 500,
    p_old: float = 0.01,
    ratio: float = 1.0,
    spike: tuple[int, int, float] | None = None,
) -> np.ndarray:
    """Counts (rollouts x 4 x ticks) of a canary walking through WEIGHTS, one step every N ticks."""
    weight = np.repeat(np.array(WEIGHTS) / 100.0, ticks_per_step)
    ticks = len(weight)
    total = rng.poisson(per_tick, size=(rollouts, ticks))
    cand = rng.binomial(total, weight)
    prod = total - cand
    factor = np.ones(ticks)
    if spike:
        start, length, size = spike
        factor[start : start + length] = size
    cand_err = rng.binomial(cand, np.minimum(p_old * ratio * factor, 1.0))
    prod_err = rng.binomial(prod, np.minimum(p_old * factor, 1.0))
    return np.stack([cand, cand_err, prod, prod_err], axis=1)


def max_log_lr(counts: np.ndarray, **kwargs: float) -> np.ndarray:
    return np.array([log_lr_path(*run, **kwargs).max() for run in counts])


def test_prior_is_a_probability_distribution_over_regressions() -> None:
    prior = mixture_prior(1.0)
    assert np.all(prior.log_ratios > 0)
    assert math.isclose(float(np.exp(prior.log_weights).sum()), 1.0, rel_tol=1e-12)
    with pytest.raises(ValueError):
        mixture_prior(0.0)


def test_no_errors_means_no_evidence() -> None:
    result = error_share_test([100, 200], [0, 0], [1900, 1800], [0, 0])
    assert result.log_lr == pytest.approx(0.0, abs=1e-12)
    assert not result.crossed
    assert result.candidate_error_rate == 0.0


@pytest.mark.parametrize(
    ("n_c", "n_p", "errors", "tolerance"),
    [(30, 570, 6, 0.0), (100, 100, 40, 0.0), (250, 750, 13, 0.2), (7, 993, 1, 0.0)],
)
def test_one_tick_likelihood_ratio_has_mean_one_under_the_null(
    n_c: int, n_p: int, errors: int, tolerance: float
) -> None:
    # The heart of Ville's bound: E_H0[Lambda] = 1. Average the test's own likelihood ratio
    # over every possible candidate error count, weighted by its null probability.
    null_share = n_c * (1 + tolerance) / (n_c * (1 + tolerance) + n_p)
    expectation = 0.0
    for k in range(errors + 1):
        result = error_share_test([n_c], [k], [n_p], [errors - k], tolerance=tolerance)
        expectation += stats.binom.pmf(k, errors, null_share) * math.exp(result.log_lr)
    assert expectation == pytest.approx(1.0, rel=1e-9)


def test_a_better_candidate_gives_a_supermartingale() -> None:
    # Composite null: a candidate with fewer errors than production must not help the test.
    n_c, n_p, errors = 50, 450, 10
    better_share = n_c * 0.5 / (n_c * 0.5 + n_p)
    expectation = sum(
        stats.binom.pmf(k, errors, better_share)
        * math.exp(error_share_test([n_c], [k], [n_p], [errors - k]).log_lr)
        for k in range(errors + 1)
    )
    assert expectation < 1.0


def test_false_rollbacks_stay_below_alpha_under_repeated_looks() -> None:
    rng = np.random.default_rng(7)
    counts = simulate(rng, rollouts=1500)
    peaks = max_log_lr(counts)
    for alpha in (0.05, 0.01):
        rate = float(np.mean(peaks >= math.log(1 / alpha)))
        # Ville: P(ever crossing) <= alpha; allow sampling noise of ~3 standard errors.
        assert rate <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / len(peaks)), (alpha, rate)


def test_a_naive_repeated_z_test_would_not_stay_below_alpha() -> None:
    # Sanity check of the simulation itself: peeking with a fixed-sample test every tick on the
    # same healthy data rolls back far more often than its nominal 5 % (about 40 % here).
    rng = np.random.default_rng(7)
    counts = simulate(rng, rollouts=600)
    cum = np.cumsum(counts, axis=2).astype(float)
    rate_c = cum[:, 1] / np.maximum(cum[:, 0], 1)
    rate_p = cum[:, 3] / np.maximum(cum[:, 2], 1)
    pooled = (cum[:, 1] + cum[:, 3]) / (cum[:, 0] + cum[:, 2])
    se = np.sqrt(pooled * (1 - pooled) * (1 / np.maximum(cum[:, 0], 1) + 1 / cum[:, 2]))
    z = np.where(se > 0, (rate_c - rate_p) / np.where(se > 0, se, 1), 0.0)
    assert np.mean((z > stats.norm.ppf(0.95)).any(axis=1)) > 0.15


def test_errors_spiking_on_both_variants_do_not_trigger() -> None:
    rng = np.random.default_rng(11)
    counts = simulate(rng, rollouts=800, spike=(10, 20, 10.0))  # 10x errors on both, 20 ticks
    peaks = max_log_lr(counts)
    assert np.mean(peaks >= math.log(100)) <= 0.01
    # The spike adds errors but no evidence: a tick with errors exactly in proportion to
    # traffic moves the log likelihood ratio down, however many errors there are.
    quiet = error_share_test([50], [1], [950], [19]).log_lr
    loud = error_share_test([50], [25], [950], [475]).log_lr
    assert loud < quiet < 0


# Steps here last 750-7500 candidate requests (30 ticks of 500), so weights rise sooner than
# with the default policy; the benchmark measures the default policy itself.
@pytest.mark.parametrize(("ratio", "max_median_requests"), [(3.0, 700), (2.0, 1800)])
def test_regressions_are_caught(ratio: float, max_median_requests: int) -> None:
    rng = np.random.default_rng(3)
    counts = simulate(rng, rollouts=300, ratio=ratio)
    threshold = math.log(100)
    caught_after = []
    for run in counts:
        path = log_lr_path(*run)
        crossed = np.flatnonzero(path >= threshold)
        if len(crossed):
            caught_after.append(run[0, : crossed[0] + 1].sum())  # candidate requests so far
    assert len(caught_after) / len(counts) >= 0.95
    assert np.median(caught_after) <= max_median_requests


def test_tolerance_demands_more_evidence() -> None:
    data = ([50] * 20, [2] * 20, [950] * 20, [20] * 20)
    strict = error_share_test(*data).log_lr
    tolerant = error_share_test(*data, tolerance=0.5).log_lr
    assert tolerant < strict


def test_tick_by_tick_equals_all_at_once() -> None:
    rng = np.random.default_rng(5)
    run = simulate(rng, rollouts=1, ratio=1.5)[0]
    whole = ErrorShareTest(alpha=0.01).update(*run)
    stepwise = ErrorShareTest(alpha=0.01)
    for tick in run.T:
        stepwise = stepwise.update(*[[value] for value in tick])
    assert stepwise.log_lr == pytest.approx(whole.log_lr, abs=1e-9)
    assert stepwise.candidate_errors == whole.candidate_errors == run[1].sum()
    assert stepwise.expected_candidate_errors == pytest.approx(whole.expected_candidate_errors)
    assert log_lr_path(*run)[-1] == pytest.approx(whole.log_lr, abs=1e-9)
    assert stepwise.informative_errors == whole.informative_errors
    with pytest.raises(ValueError):
        stepwise.update([10], [11], [10], [0])


def test_result_numbers_for_people() -> None:
    result = error_share_test([100, 100], [4, 4], [900, 900], [9, 9], alpha=0.05)
    assert result.candidate_error_rate == pytest.approx(0.04)
    assert result.production_error_rate == pytest.approx(0.01)
    assert result.expected_candidate_errors == pytest.approx(2.6)  # 26 errors x 10 % traffic
    assert result.observed_candidate_errors == 8
    assert result.log_threshold == pytest.approx(math.log(20))
    assert result.likelihood_ratio == pytest.approx(math.exp(result.log_lr))


@pytest.mark.parametrize(
    "counts",
    [
        ([10], [11], [10], [0]),  # more errors than requests
        ([10], [-1], [10], [0]),  # negative
        ([10, 10], [1], [10], [0]),  # ragged
        ([10.5], [1], [10], [0]),  # not whole
    ],
)
def test_bad_counts_are_rejected(counts: tuple[list[float], ...]) -> None:
    with pytest.raises(ValueError):
        error_share_test(*counts)


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        ErrorShareTest(alpha=1.5)
    with pytest.raises(ValueError):
        ErrorShareTest(tolerance=-0.1)
