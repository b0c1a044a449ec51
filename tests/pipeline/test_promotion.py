import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from stainless.core.errors import ConfigError
from stainless.pipeline.metrics import compute_metric, improvement
from stainless.pipeline.promotion import (
    BootstrapSettings,
    PromotionPolicy,
    judge,
    promotion_schema,
)
from stainless.project.config import config_from_mapping

MINIMAL = {"name": "house-prices", "owner": "jane", "target": "price", "metric": "rmse"}

BOOTSTRAP = {"enabled": False, "confidence": 0.95, "samples": 300, "seed": 0}
POLICY = PromotionPolicy.from_mapping({"bootstrap": BOOTSTRAP})


def test_policy_fields_and_defaults_are_the_schemas() -> None:
    # One source of truth: the schema. A key added to one side only, or a default that differs
    # between the dataclass and the schema, fails here.
    schema = promotion_schema()
    assert [f.name for f in dataclasses.fields(PromotionPolicy)] == list(schema["properties"])
    bootstrap = schema["properties"]["bootstrap"]["properties"]
    assert [f.name for f in dataclasses.fields(BootstrapSettings)] == list(bootstrap)
    loaded = config_from_mapping(dict(MINIMAL), Path("/p"))["promotion"]
    assert PromotionPolicy.from_mapping(loaded) == PromotionPolicy()
    assert PromotionPolicy.from_mapping(None) == PromotionPolicy.from_mapping({})
    assert PromotionPolicy().as_dict() == loaded
    assert PromotionPolicy().bootstrap.samples == bootstrap["samples"]["default"]


@pytest.mark.parametrize(
    ("mapping", "key"),
    [
        ({"improvement": "percent"}, "promotion.improvement"),
        ({"min_improvement": -1}, "promotion.min_improvement"),
        ({"bootstrap": {"samples": 5}}, "promotion.bootstrap.samples"),
        ({"bootstrap": {"confidence": 1.5}}, "promotion.bootstrap.confidence"),
        ({"treshold": 0.5}, "promotion.treshold"),
        (["threshold"], "promotion"),
    ],
)
def test_invalid_settings_name_file_key_and_fix(mapping, key) -> None:
    with pytest.raises(ConfigError) as caught:
        PromotionPolicy.from_mapping(mapping)
    error = caught.value
    assert (error.file, error.key) == ("model.yaml", key)
    assert error.fix


def test_required_improvement() -> None:
    relative = PromotionPolicy.from_mapping({"min_improvement": 0.1})
    assert relative.required_improvement(-5.0) == pytest.approx(0.5)
    absolute = PromotionPolicy.from_mapping({"min_improvement": 0.1, "improvement": "absolute"})
    assert absolute.required_improvement(-5.0) == pytest.approx(0.1)


def evaluation(candidate, production):
    prod = None if production is None else {"version": 1, "value": production}
    return {"candidate": {"version": 2, "value": candidate}, "production": prod}


def test_first_version_is_promoted_unless_it_misses_the_threshold():
    assert judge(evaluation(5.0, None), pd.DataFrame(), POLICY, "rmse", "minimize").promote
    verdict = judge(
        evaluation(5.0, None),
        pd.DataFrame(),
        dataclasses.replace(POLICY, threshold=4.0),
        "rmse",
        "minimize",
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
        PromotionPolicy.from_mapping({"bootstrap": BOOTSTRAP, **policy}),
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
    policy = PromotionPolicy.from_mapping({"bootstrap": {**BOOTSTRAP, "enabled": True}})
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
