"""Single-look statistics: the interval shown to people, and the fixed-horizon yardstick."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from stainless.rollout.single_look import fixed_horizon_sample_size, ratio_confidence_interval


def test_ratio_interval_covers_the_truth() -> None:
    rng = np.random.default_rng(13)
    hits = 0
    sims = 400
    for _ in range(sims):
        cand_n, prod_n = 2000, 18000
        cand_e, prod_e = rng.binomial(cand_n, 0.02), rng.binomial(prod_n, 0.01)
        low, high = ratio_confidence_interval(cand_e, cand_n, prod_e, prod_n)
        hits += low <= 2.0 <= high
    assert hits / sims >= 0.92


def test_ratio_interval_edges() -> None:
    assert ratio_confidence_interval(0, 100, 0, 900) is None
    low, high = ratio_confidence_interval(0, 100, 5, 900)
    assert low == 0.0 and math.isfinite(high)
    low, high = ratio_confidence_interval(5, 100, 0, 900)
    assert low > 0 and high == math.inf


def test_fixed_horizon_sample_size_delivers_its_power() -> None:
    n_c = fixed_horizon_sample_size(0.01, 2.0, alpha=0.01, power=0.9, weight=5.0)
    n_p = n_c * 19
    rng = np.random.default_rng(17)
    cand = rng.binomial(n_c, 0.02, size=20000)
    prod = rng.binomial(n_p, 0.01, size=20000)
    pooled = (cand + prod) / (n_c + n_p)
    z = (cand / n_c - prod / n_p) / np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_p))
    power = np.mean(z > stats.norm.ppf(0.99))
    assert 0.87 <= power <= 0.93
    # Bigger effects and lower power need fewer requests.
    assert fixed_horizon_sample_size(0.01, 3.0, 0.01, 0.9, 5.0) < n_c
    assert fixed_horizon_sample_size(0.01, 2.0, 0.01, 0.8, 5.0) < n_c
    with pytest.raises(ValueError):
        fixed_horizon_sample_size(0.01, 1.0)
