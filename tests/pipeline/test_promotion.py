import numpy as np
import pandas as pd
import pytest
from stainless.pipeline.metrics import compute_metric, improvement
from stainless.pipeline.promotion import judge

POLICY = {
    "min_improvement": 0.0,
    "improvement": "relative",
    "threshold": None,
    "bootstrap": {"enabled": False, "confidence": 0.95, "samples": 300, "seed": 0},
}


def evaluation(candidate, production):
    prod = None if production is None else {"version": 1, "value": production}
    return {"candidate": {"version": 2, "value": candidate}, "production": prod}


def test_first_version_is_promoted_unless_it_misses_the_threshold():
    assert judge(evaluation(5.0, None), pd.DataFrame(), POLICY, "rmse", "minimize").promote
    verdict = judge(
        evaluation(5.0, None), pd.DataFrame(), {**POLICY, "threshold": 4.0}, "rmse", "minimize"
    )
    assert not verdict.promote and "misses the threshold (at most 4)" in verdict.reason


@pytest.mark.parametrize(
    ("candidate", "production", "direction", "policy", "promote"),
    [
        (4.0, 5.0, "minimize", {}, True),
        (5.0, 5.0, "minimize", {}, False),  # equal is not better
        (0.80, 0.79, "maximize", {}, True),
        (0.80, 0.79, "maximize", {"min_improvement": 0.02}, False),  # 1.3 % < 2 %
        (0.80, 0.79, "maximize", {"min_improvement": 0.01, "improvement": "absolute"}, True),
        (4.96, 5.0, "minimize", {"min_improvement": 0.01}, False),  # 0.8 % < 1 %
    ],
)
def test_min_improvement(candidate, production, direction, policy, promote):
    verdict = judge(
        evaluation(candidate, production),
        pd.DataFrame(),
        {**POLICY, **policy},
        "rmse" if direction == "minimize" else "accuracy",
        direction,
    )
    assert verdict.promote is promote
    assert verdict.margin == pytest.approx(improvement(candidate, production, direction))


def test_unscorable_production_is_not_replaced_automatically():
    result = evaluation(4.0, None)
    result["production"] = {"version": 1, "value": None, "error": "schema changed"}
    verdict = judge(result, pd.DataFrame(), POLICY, "rmse", "minimize")
    assert not verdict.promote and "schema changed" in verdict.reason


def predictions(noise_candidate, noise_production, n=400, seed=1):
    rng = np.random.default_rng(seed)
    truth = rng.normal(size=n)
    return pd.DataFrame(
        {
            "y_true": truth,
            "candidate_pred": truth + rng.normal(scale=noise_candidate, size=n),
            "production_pred": truth + rng.normal(scale=noise_production, size=n),
        }
    )


def test_bootstrap_promotes_only_a_confident_improvement():
    policy = {**POLICY, "bootstrap": {**POLICY["bootstrap"], "enabled": True}}
    clear = predictions(0.5, 1.0)
    table_eval = evaluation(
        compute_metric("rmse", clear.y_true, clear.candidate_pred, None),
        compute_metric("rmse", clear.y_true, clear.production_pred, None),
    )
    verdict = judge(table_eval, clear, policy, "rmse", "minimize")
    assert verdict.promote and verdict.ci_low > 0
    tiny = predictions(0.99, 1.0)
    table_eval = evaluation(
        compute_metric("rmse", tiny.y_true, tiny.candidate_pred, None),
        compute_metric("rmse", tiny.y_true, tiny.production_pred, None),
    )
    verdict = judge(table_eval, tiny, policy, "rmse", "minimize")
    assert not verdict.promote and verdict.ci_low < 0 < verdict.ci_high


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
