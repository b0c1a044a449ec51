"""Live quality: a drop is claimed only when the whole interval is worse than validation."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score
from stainless.monitoring.quality import QualitySettings, live_quality


def accuracy(truth, predictions, scores):  # type: ignore[no-untyped-def]
    return float(accuracy_score(truth, predictions))


def check(correct_share: float, n: int = 400):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, n)
    right = rng.random(n) < correct_share
    predictions = np.where(right, truth, 1 - truth)
    settings = QualitySettings(samples=300)
    return live_quality("accuracy", accuracy, "maximize", 0.9, truth, predictions, None, settings)


def test_same_quality_is_ok_and_a_drop_is_claimed() -> None:
    same = check(0.9)
    assert same.status == "ok" and same.ci_low < 0.9 < same.ci_high
    worse = check(0.75)
    assert worse.status == "dropped" and worse.ci_high < 0.9
    assert worse.change is not None and worse.change < -0.1


def test_few_labels_claim_nothing() -> None:
    result = check(0.5, n=50)
    assert result.status == "insufficient_data" and "min_labels" in result.reason
