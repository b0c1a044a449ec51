"""Is the candidate's error rate worse than production's? A test that may look every minute.

What is compared
    Not the two error rates directly, but the candidate's *share of the errors* given how many
    errors there were in total. If, during a tick, the candidate served ``n_c`` requests and
    production ``n_p``, and the candidate's error rate is ``rho`` times production's, then out of
    the ``E`` errors of that tick the candidate's count is (to a very good approximation when
    errors are rare) ``Binomial(E, pi)`` with ``pi = n_c*rho / (n_c*rho + n_p)``. Production's
    own error rate cancels out of ``pi``: an incident that triples everybody's errors (a broken
    upstream, a bad batch of traffic) changes ``E`` but not the share, so it cannot trigger a
    rollback by itself.

Why a sequential test
    The controller looks at the data every tick. Re-running a fixed-sample test at each look
    and stopping at the first "significant" result rolls back far more good candidates than its
    nominal alpha says. Instead we use a mixture likelihood ratio (mSPRT):

        Lambda_t = sum_j w_j * prod_{s<=t} Binom(e_s; E_s, pi_s(rho_j)) / Binom(e_s; E_s, pi0_s)

    with ``pi0_s`` the share when the candidate is exactly ``1 + tolerance`` times production and
    ``rho_j > 1 + tolerance`` the regressions we mix over (weights ``w_j`` sum to 1). Each term of
    the product is a likelihood ratio of one tick, so ``pi0_s`` may change from tick to tick as
    traffic weights move. Under "candidate no worse" ``Lambda_t`` is a nonnegative
    (super)martingale starting at 1, so by Ville's inequality the chance it *ever* reaches
    ``1/alpha`` is at most ``alpha``: a bound on false rollbacks that holds at every look, and
    across all steps of a rollout as long as all its ticks go into one test.

The mixing distribution is a half-normal on ``log(rho / (1 + tolerance))`` discretised on a grid.
The discrete mixture *is* the test (each atom's product is a martingale, and so is any average of
them), so the grid affects power slightly but never the false-rollback bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

# Atoms of the discretised prior, and how far (in prior scales) they reach. 32 atoms over
# [0, 4 * scale] (ratio up to e^4 ~ 55x at scale 1) are 0.125 apart in log ratio: finer grids
# change the benchmark's numbers by less than its noise, and the cost grows with the atoms.
PRIOR_ATOMS = 32
PRIOR_REACH = 4.0


@dataclass(frozen=True)
class MixturePrior:
    """Discrete mixing distribution over log(rho / (1 + tolerance)) > 0."""

    log_ratios: NDArray[np.float64]
    log_weights: NDArray[np.float64]


@lru_cache(maxsize=16)
def mixture_prior(scale: float, atoms: int = PRIOR_ATOMS) -> MixturePrior:
    """Half-normal(scale) prior on the log error-rate ratio, as ``atoms`` equal-width cells.

    Cached: it only depends on two numbers, and the controller asks for it every tick.
    """
    if not scale > 0 or atoms < 1:
        raise ValueError("mixture prior needs a positive scale and at least one atom")
    width = PRIOR_REACH * scale / atoms
    centres = ((np.arange(atoms) + 0.5) * width).astype(np.float64)
    mass = stats.halfnorm.pdf(centres, scale=scale) * width
    # Weights sum to one: Lambda starts at 1.
    log_weights = np.log(mass / mass.sum()).astype(np.float64)
    centres.setflags(write=False)
    log_weights.setflags(write=False)
    return MixturePrior(centres, log_weights)


@dataclass(frozen=True)
class ShareTestResult:
    """Outcome of :func:`error_share_test`, with numbers a person can check.

    ``log_lr`` is the natural log of the mixture likelihood ratio; the test rolls back when it
    reaches ``log_threshold = log(1/alpha)``. Counts are totals over all ticks given.
    """

    log_lr: float
    log_threshold: float
    alpha: float
    tolerance: float
    candidate_requests: int
    candidate_errors: int
    production_requests: int
    production_errors: int
    # Errors in ticks where both variants had traffic (only those carry information).
    informative_errors: int
    # Candidate errors expected among those if it were exactly (1 + tolerance) x production.
    expected_candidate_errors: float
    # Errors the candidate actually had in those same ticks.
    observed_candidate_errors: int

    @property
    def crossed(self) -> bool:
        """Evidence of a regression passed 1/alpha: roll back."""
        return self.log_lr >= self.log_threshold

    @property
    def likelihood_ratio(self) -> float:
        """exp(log_lr), capped so it stays a finite float for logs and JSON."""
        return math.exp(min(self.log_lr, 700.0))

    @property
    def candidate_error_rate(self) -> float | None:
        return _rate(self.candidate_errors, self.candidate_requests)

    @property
    def production_error_rate(self) -> float | None:
        return _rate(self.production_errors, self.production_requests)


def _rate(errors: int, requests: int) -> float | None:
    return errors / requests if requests > 0 else None


_COUNT_NAMES = (
    "candidate_requests",
    "candidate_errors",
    "production_requests",
    "production_errors",
)


def _as_count_table(*columns: ArrayLike) -> NDArray[np.int64]:
    """The four per-tick count sequences as one validated (4 x ticks) integer table."""
    try:
        table = np.array(columns)
    except ValueError:
        raise ValueError("the four count sequences must have one entry per tick each") from None
    if table.ndim != 2:
        raise ValueError("each count sequence must be one count per tick (1-D, equal lengths)")
    if table.dtype.kind not in "iu":  # floats or objects: accept only whole, finite numbers
        as_float = table.astype(np.float64)
        if not np.all(np.isfinite(as_float)) or np.any(as_float != np.round(as_float)):
            raise ValueError("counts must be finite whole numbers")
        table = as_float.astype(np.int64)
    table = table.astype(np.int64, copy=False)
    if table.size:
        if table.min() < 0:
            bad = _COUNT_NAMES[int(np.argwhere(table < 0)[0][0])]
            raise ValueError(f"{bad} must be non-negative counts")
        if (table[1] > table[0]).any() or (table[3] > table[2]).any():
            raise ValueError("a tick has more errors than requests")
    return table


@dataclass(frozen=True, eq=False)
class ErrorShareTest:
    """The running mixture test; immutable, :meth:`update` returns the test with more ticks.

    Feeding ticks one at a time or all at once gives the same result (the per-atom sums are
    accumulated tick by tick either way).
    """

    alpha: float = 0.01
    tolerance: float = 0.0
    prior_scale: float = 1.0
    # Running sum, per prior atom, of the per-tick log likelihood ratios (None: no data yet).
    atom_log_lr: NDArray[np.float64] | None = None
    candidate_requests: int = 0
    candidate_errors: int = 0
    production_requests: int = 0
    production_errors: int = 0
    informative_errors: int = 0
    expected_candidate_errors: float = 0.0
    observed_candidate_errors: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must be in (0, 1)")
        if not self.tolerance >= 0:
            raise ValueError("tolerance must be >= 0")
        mixture_prior(float(self.prior_scale))  # validates the scale

    def update(
        self,
        candidate_requests: ArrayLike,
        candidate_errors: ArrayLike,
        production_requests: ArrayLike,
        production_errors: ArrayLike,
    ) -> ErrorShareTest:
        """This test with more ticks (one count per tick in each argument, oldest first)."""
        return self._update_table(
            _as_count_table(
                candidate_requests, candidate_errors, production_requests, production_errors
            )
        )

    def _update_table(self, table: NDArray[np.int64]) -> ErrorShareTest:
        """:meth:`update` for a (4 x ticks) int64 table already checked by _as_count_table."""
        n_c, e_c, n_p, e_p = table
        total = e_c + e_p
        # A tick without errors, or with one variant idle, has a degenerate share: its
        # likelihood ratio is exactly 1, so skipping it changes nothing (and avoids 0/0).
        keep = (n_c > 0) & (n_p > 0) & (total > 0)
        sums = table.sum(axis=1).tolist()
        if not keep.any():  # nothing to learn (a quiet tick): only the totals move
            return replace(
                self,
                candidate_requests=self.candidate_requests + sums[0],
                candidate_errors=self.candidate_errors + sums[1],
                production_requests=self.production_requests + sums[2],
                production_errors=self.production_errors + sums[3],
            )
        if not keep.all():
            n_c, e_c, n_p, total = n_c[keep], e_c[keep], n_p[keep], total[keep]
        # The sum over ticks of _tick_log_lrs, without the per-tick matrix: with L the log of
        # each tick's n_c * rho + n_p, it is (sum of e_c) * log(rho_j / rho_0) - E @ (L_j - L_0).
        log_ratios, log_totals = _log_terms(n_c, n_p, self.tolerance, self.prior_scale)
        weighted = total.astype(np.float64) @ log_totals
        atom_log_lr = float(e_c.sum()) * log_ratios - (weighted[1:] - weighted[0])
        null_share = n_c * (1.0 + self.tolerance) / np.exp(log_totals[:, 0])
        if self.atom_log_lr is not None:
            atom_log_lr += self.atom_log_lr
        atom_log_lr.setflags(write=False)
        expected = self.expected_candidate_errors + float(total @ null_share)
        informative, observed = int(total.sum()), int(e_c.sum())

        return ErrorShareTest(
            alpha=self.alpha,
            tolerance=self.tolerance,
            prior_scale=self.prior_scale,
            atom_log_lr=atom_log_lr,
            candidate_requests=self.candidate_requests + sums[0],
            candidate_errors=self.candidate_errors + sums[1],
            production_requests=self.production_requests + sums[2],
            production_errors=self.production_errors + sums[3],
            informative_errors=self.informative_errors + informative,
            expected_candidate_errors=expected,
            observed_candidate_errors=self.observed_candidate_errors + observed,
        )

    @property
    def log_lr(self) -> float:
        """log of the mixture likelihood ratio: log sum_j w_j exp(atom_log_lr_j)."""
        if self.atom_log_lr is None:
            return 0.0
        weighted = self.atom_log_lr + mixture_prior(float(self.prior_scale)).log_weights
        peak = float(weighted.max())
        return peak + math.log(float(np.exp(weighted - peak).sum()))

    def result(self) -> ShareTestResult:
        return ShareTestResult(
            log_lr=self.log_lr,
            log_threshold=math.log(1.0 / self.alpha),
            alpha=self.alpha,
            tolerance=self.tolerance,
            candidate_requests=self.candidate_requests,
            candidate_errors=self.candidate_errors,
            production_requests=self.production_requests,
            production_errors=self.production_errors,
            informative_errors=self.informative_errors,
            expected_candidate_errors=self.expected_candidate_errors,
            observed_candidate_errors=self.observed_candidate_errors,
        )


def _log_terms(
    n_c: NDArray[np.int64], n_p: NDArray[np.int64], tolerance: float, prior_scale: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """log(rho_j / rho_0) per prior atom, and log(n_c * rho + n_p) per tick and ratio.

    Ratio 0 is the null's (1 + tolerance), ratios 1.. are the prior's atoms. With the share
    pi = n_c rho / (n_c rho + n_p), log Binom(e; E, pi) = e log(n_c rho) + (E - e) log(n_p)
    - E log(n_c rho + n_p) + log C(E, e); everything but the rho terms cancels from a ratio of
    two shares, so one logarithm per tick and ratio is all the test needs.
    """
    ratios = _ratios(float(prior_scale), float(tolerance))
    log_totals = np.log(n_c[:, None] * ratios + n_p[:, None])
    return np.log(ratios[1:] / ratios[0]), log_totals


def _tick_log_lrs(
    n_c: NDArray[np.int64],
    e_c: NDArray[np.int64],
    n_p: NDArray[np.int64],
    total: NDArray[np.int64],
    tolerance: float,
    prior_scale: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per tick and prior atom: log Binom(e_c; E, pi(rho_j)) - log Binom(e_c; E, pi0).

    Only for ticks where both variants had traffic and there was at least one error (every
    share is then strictly inside (0, 1), so every logarithm is finite).
    Returns the (ticks x atoms) matrix and each tick's null share pi0.
    """
    log_ratios, log_totals = _log_terms(n_c, n_p, tolerance, prior_scale)
    per_tick = e_c[:, None] * log_ratios - total[:, None] * (log_totals[:, 1:] - log_totals[:, :1])
    null_share = n_c * (1.0 + tolerance) / np.exp(log_totals[:, 0])
    return per_tick, null_share


@lru_cache(maxsize=16)
def _ratios(prior_scale: float, tolerance: float) -> NDArray[np.float64]:
    """Error-rate ratios: the null's (1 + tolerance), then one per prior atom."""
    null_ratio = 1.0 + tolerance
    atoms = null_ratio * np.exp(mixture_prior(prior_scale).log_ratios)
    ratios = np.concatenate([[null_ratio], atoms])
    ratios.setflags(write=False)
    return ratios


def error_share_test(
    candidate_requests: ArrayLike,
    candidate_errors: ArrayLike,
    production_requests: ArrayLike,
    production_errors: ArrayLike,
    *,
    alpha: float = 0.01,
    tolerance: float = 0.0,
    prior_scale: float = 1.0,
) -> ShareTestResult:
    """Mixture sequential test of "candidate error rate <= (1 + tolerance) x production's".

    Each argument holds one count per tick, in time order, covering the *whole* rollout (not
    only the current step): restarting the test at each step would spend alpha once per step.
    Requests should exclude client-caused errors (invalid requests cannot fail the model).
    """
    test = ErrorShareTest(alpha=alpha, tolerance=tolerance, prior_scale=prior_scale)
    return test.update(
        candidate_requests, candidate_errors, production_requests, production_errors
    ).result()


def log_lr_path(
    candidate_requests: ArrayLike,
    candidate_errors: ArrayLike,
    production_requests: ArrayLike,
    production_errors: ArrayLike,
    *,
    tolerance: float = 0.0,
    prior_scale: float = 1.0,
) -> NDArray[np.float64]:
    """log of the mixture likelihood ratio after each tick (for plots, post-mortems, tests).

    Element ``t`` equals ``error_share_test(<ticks 0..t>).log_lr``; the test would have rolled
    back at the first tick where it reaches ``log(1/alpha)``.
    """
    table = _as_count_table(
        candidate_requests, candidate_errors, production_requests, production_errors
    )
    n_c, e_c, n_p, e_p = table
    total = e_c + e_p
    keep = (n_c > 0) & (n_p > 0) & (total > 0)
    prior = mixture_prior(float(prior_scale))
    per_tick = np.zeros((table.shape[1], len(prior.log_weights)))
    if keep.any():
        per_tick[keep], _ = _tick_log_lrs(
            n_c[keep], e_c[keep], n_p[keep], total[keep], tolerance, prior_scale
        )
    weighted = np.add.accumulate(per_tick, axis=0) + prior.log_weights
    peak = weighted.max(axis=1, keepdims=True)
    return (peak + np.log(np.exp(weighted - peak).sum(axis=1, keepdims=True)))[:, 0]


__all__ = [
    "ErrorShareTest",
    "MixturePrior",
    "ShareTestResult",
    "error_share_test",
    "log_lr_path",
    "mixture_prior",
]
