"""Drift tests: shifted features flagged, unchanged ones not, nothing claimed on tiny samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from stainless.monitoring.drift import (
    DriftSettings,
    adjust,
    chi_square,
    detect,
    onset,
    psi,
    rank_test,
)
from stainless.monitoring.profile import profile_chunks, reference_profile


def sample(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(0, 1, n),
            "b": rng.exponential(2, n),
            "c": rng.choice(["x", "y", "z"], n, p=[0.6, 0.3, 0.1]),
            "d": rng.integers(0, 4, n),
        }
    )


def test_no_shift_gives_no_alarm_over_many_checks() -> None:
    reference = reference_profile(sample(4000, 0))
    alarms = sum(
        detect(reference, profile_chunks(reference, [sample(500, seed)])).status == "drift"
        for seed in range(1, 101)
    )
    assert alarms <= 3  # alpha = 1 % family-wise; 100 checks


def test_exactly_the_shifted_features_are_flagged() -> None:
    reference = reference_profile(sample(4000, 0), predictions=np.zeros(4000))
    traffic = sample(1000, 9)
    traffic["a"] += 1.0
    traffic.loc[:299, "b"] = np.nan
    traffic.loc[:199, "c"] = "new"
    current = profile_chunks(reference, [traffic.assign(prediction=0.0)], "prediction")
    result = detect(reference, current)
    assert result.status == "drift"
    assert result.drifted == ["a", "b", "c"] and not result.prediction_drifted
    a, b, c = result.features[:3]
    assert a.mean_shift_sd == pytest.approx(1.0, abs=0.1)
    assert b.null_share_current == pytest.approx(0.3) and b.null_share_reference == 0
    assert c.new_values == ("new",)
    assert "mean +1.0" in a.summary() and "new values 'new'" in c.summary()


def test_min_rows_and_min_psi_hold_back_claims() -> None:
    reference = reference_profile(sample(4000, 0))
    small = sample(50, 3)
    small["a"] += 3
    result = detect(reference, profile_chunks(reference, [small]))
    assert result.status == "insufficient_data" and "min_rows" in result.reason
    huge = sample(200_000, 4)
    huge["a"] += 0.05  # significant at this size, but too small to matter
    result = detect(reference_profile(sample(200_000, 5)), profile_chunks(reference, [huge]))
    assert result.features[0].p_value < 1e-6 and result.features[0].psi < 0.1
    assert result.status == "ok"


def test_statistics() -> None:
    assert chi_square([100, 100], [100, 100]) == (0.0, 1.0)
    assert chi_square([100, 100], [10, 190])[1] < 1e-10
    assert psi([50, 50], [50, 50]) == 0 and psi([50, 50], [10, 90]) > 0.5
    assert adjust([0.01, 0.04, 0.03], "holm") == pytest.approx([0.03, 0.06, 0.06])
    assert adjust([0.01, 0.04, 0.03], "bh") == pytest.approx([0.03, 0.04, 0.04])
    assert DriftSettings.from_mapping({"alpha": 0.05, "other": 1}).alpha == 0.05
    assert DriftSettings.from_mapping({"prediction_share": 0.2}).prediction_share == 0.2


def test_the_rank_test_is_mann_whitney_on_the_binned_values() -> None:
    reference, current = [30, 50, 80, 40, 0], [5, 20, 40, 30, 25]
    values = [np.repeat(np.arange(5), counts) for counts in (reference, current)]
    expected = stats.mannwhitneyu(*values, use_continuity=False, method="asymptotic").pvalue
    assert rank_test(reference, current) == pytest.approx(expected, rel=1e-9)
    assert rank_test([10, 0], [0, 0]) == 1.0 and rank_test([0, 7], [0, 9]) == 1.0


def test_a_small_move_of_a_numeric_prediction_is_caught_by_the_rank_test() -> None:
    """A label shift moves the prediction one way: a little more mass in every upper bin. The
    rank test sees +0.3 sd in a window of 150 rows far better than the 10-cell chi-square test
    (which, in one Holm family with the 4 features, would have missed it); the prediction is
    judged on its own half of alpha."""
    rng = np.random.default_rng(0)
    reference = reference_profile(sample(400, 0), predictions=rng.normal(0, 1, 400))
    traffic = sample(150, 1).assign(prediction=rng.normal(0.3, 1, 150))
    result = detect(reference, profile_chunks(reference, [traffic], "prediction"))
    moved = result.prediction
    assert moved is not None and moved.p_rank is not None and moved.p_chi_square is not None
    assert moved.p_chi_square * 5 > DriftSettings().alpha and moved.p_rank < 1e-4
    assert moved.p_value == pytest.approx(2 * moved.p_rank)  # the smaller of two, doubled
    assert moved.p_adjusted == pytest.approx(moved.p_value / DriftSettings().prediction_share)
    assert result.prediction_drifted and result.drifted == []
    assert result.features[2].p_rank is None  # a category has no order to rank


def test_onset_is_the_first_bucket_of_the_unbroken_drift() -> None:
    reference = reference_profile(sample(4000, 0))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    buckets = []
    for hour in range(6):
        traffic = sample(300, 100 + hour)
        if hour >= 3:
            traffic["a"] += 1.5
        current = profile_chunks(reference, [traffic])
        buckets.append((start + timedelta(hours=hour), current.features["a"]))
    assert onset(reference.features["a"], buckets) == start + timedelta(hours=3)
    assert onset(reference.features["b"], []) is None
