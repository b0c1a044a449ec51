"""Validation metrics, computed by scikit-learn, and which way is better."""

import pytest
from stainless.pipeline.metrics import compute_metric, improvement


@pytest.mark.parametrize(
    ("name", "pred", "score", "expected"),
    [
        ("rmse", [1.0, 3.0], None, 1.0),
        ("mae", [1.0, 3.0], None, 1.0),
        ("accuracy", [0, 0], None, 0.5),
        ("f1", [0, 1], None, 1.0),
        ("roc_auc", None, [0.2, 0.9], 1.0),
    ],
)
def test_metrics_use_scikit_learn(name, pred, score, expected):
    truth = [0, 1] if name in ("accuracy", "f1", "roc_auc") else [2.0, 2.0]
    assert compute_metric(name, truth, pred, score) == pytest.approx(expected)


def test_f1_with_string_labels_and_log_loss():
    assert compute_metric("f1", ["no", "yes"], ["no", "yes"], None) == 1.0
    assert compute_metric("log_loss", [0, 1], None, [0.1, 0.9]) == pytest.approx(0.10536, rel=1e-3)
    with pytest.raises(ValueError, match="needs probabilities"):
        compute_metric("roc_auc", [0, 1], [0, 1], None)


def test_multiclass_scores_and_r2():
    truth = [0, 1, 2]
    rows = [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]]
    assert compute_metric("roc_auc", truth, None, rows) == pytest.approx(1.0)
    assert compute_metric("f1", truth, [0, 1, 1], None) == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert compute_metric("r2", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], None) == 1.0


def test_a_missing_input_or_an_unknown_metric_is_an_error():
    with pytest.raises(ValueError, match="rmse needs predictions"):
        compute_metric("rmse", [1.0], None, [0.5])
    with pytest.raises(ValueError, match="unknown metric 'mape'"):
        compute_metric("mape", [1.0], [1.0], None)


def test_improvement_is_positive_when_the_candidate_is_better():
    assert improvement(0.9, 0.8, "maximize") == pytest.approx(0.1)
    assert improvement(4.0, 5.0, "minimize") == pytest.approx(1.0)
    assert improvement(5.0, 4.0, "minimize") == pytest.approx(-1.0)
