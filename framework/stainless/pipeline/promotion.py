"""The promotion criterion: is the candidate better than production by enough, and sure enough?

The settings are model.yaml's ``promotion:`` section. Its schema (``model.schema.json``) is the one
source of their defaults and constraints: :class:`PromotionPolicy` takes its defaults from it and
validates with it, and ``tests/pipeline/test_promotion.py`` fails if the two drift apart.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any, Literal

import numpy as np
import pandas as pd
from jsonschema import Draft202012Validator

from stainless.core.errors import ConfigError, truncate
from stainless.pipeline.metrics import SCORE_METRICS, compute_metric, improvement
from stainless.project.config import CONFIG_FILE, explain_schema_error, model_schema

Improvement = Literal["absolute", "relative"]


def promotion_schema() -> dict[str, Any]:
    """The schema of model.yaml's ``promotion:`` mapping."""
    return model_schema()["properties"]["promotion"]


def _bootstrap_schema() -> dict[str, Any]:
    return promotion_schema()["properties"]["bootstrap"]


def _default(schema: dict[str, Any], key: str) -> Any:
    return copy.deepcopy(schema["properties"][key]["default"])


@dataclass(frozen=True)
class BootstrapSettings:
    """``promotion.bootstrap``: a paired bootstrap of the improvement (see the schema)."""

    enabled: bool = _default(_bootstrap_schema(), "enabled")
    confidence: float = _default(_bootstrap_schema(), "confidence")
    samples: int = _default(_bootstrap_schema(), "samples")
    seed: int = _default(_bootstrap_schema(), "seed")


@dataclass(frozen=True)
class PromotionPolicy:
    """``promotion:`` of model.yaml, typed. Build it with :meth:`from_mapping` (validated)."""

    min_improvement: float = _default(promotion_schema(), "min_improvement")
    improvement: Improvement = _default(promotion_schema(), "improvement")
    threshold: float | None = _default(promotion_schema(), "threshold")
    bootstrap: BootstrapSettings = BootstrapSettings()

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None) -> PromotionPolicy:
        """From the ``promotion`` mapping of model.yaml (missing keys take the schema's
        defaults); raises a ConfigError naming the file, the key and the fix."""
        mapping = {} if mapping is None else mapping
        if not isinstance(mapping, Mapping):
            raise ConfigError(
                "must be a mapping of settings",
                file=CONFIG_FILE,
                key="promotion",
                found=truncate(mapping),
                fix="write the settings as `key: value` lines under `promotion:`",
            )
        errors = sorted(_validator().iter_errors(dict(mapping)), key=lambda e: list(e.path))
        if errors:
            raise explain_schema_error(errors[0], CONFIG_FILE, len(errors), section="promotion")
        values = dict(mapping)
        bootstrap = BootstrapSettings(**values.pop("bootstrap", {}))
        return cls(**values, bootstrap=bootstrap)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def required_improvement(self, production: float) -> float:
        """The improvement over ``production`` (in metric units) a candidate must show."""
        if self.improvement == "relative":
            return self.min_improvement * abs(production)
        return self.min_improvement


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator({**promotion_schema(), "$defs": model_schema()["$defs"]})


@dataclass
class Verdict:
    promote: bool
    reason: str
    candidate: float
    production: float | None
    margin: float | None = None  # improvement in metric units (positive = better)
    required: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def judge(
    evaluation: dict[str, Any],
    predictions: pd.DataFrame,
    policy: PromotionPolicy,
    metric: str,
    direction: str,
) -> Verdict:
    candidate = float(evaluation["candidate"]["value"])
    threshold = policy.threshold
    if threshold is not None and improvement(candidate, float(threshold), direction) < 0:
        better = "at least" if direction == "maximize" else "at most"
        return Verdict(
            False,
            f"{metric} {candidate:.4g} misses the threshold ({better} {threshold:g})",
            candidate,
            None,
        )
    production = evaluation.get("production")
    if production is None:
        return Verdict(True, "first version: no production model to compare with", candidate, None)
    if production.get("value") is None:
        return Verdict(
            False,
            f"production version {production['version']} could not be scored "
            f"on this validation data ({production.get('error', 'unknown error')}); "
            "promote it manually if that is intended",
            candidate,
            None,
        )
    prod = float(production["value"])
    margin = improvement(candidate, prod, direction)
    required = policy.required_improvement(prod)
    bootstrap = policy.bootstrap
    if bootstrap.enabled:
        low, high = paired_bootstrap(predictions, metric, direction, bootstrap)
        ok = low > required
        level = bootstrap.confidence
        reason = (
            f"{level:.0%} interval of the improvement [{low:.4g}, {high:.4g}] "
            f"{'clears' if ok else 'does not clear'} the required {required:.4g}"
        )
        return Verdict(ok, reason, candidate, prod, margin, required, low, high)
    ok = margin > required if required == 0 else margin >= required
    reason = (
        f"candidate {metric} {candidate:.4g} vs production {prod:.4g}: improvement "
        f"{margin:.4g} {'meets' if ok else 'does not meet'} the required "
        f"{'> 0' if required == 0 else f'{required:.4g}'}"
    )
    return Verdict(ok, reason, candidate, prod, margin, required)


def paired_bootstrap(
    table: pd.DataFrame, metric: str, direction: str, settings: BootstrapSettings
) -> tuple[float, float]:
    """Percentile interval of (candidate - production) improvement, resampling rows in pairs."""
    rng = np.random.default_rng(settings.seed)
    samples = settings.samples
    confidence = settings.confidence
    n = len(table)
    truth = table["y_true"].to_numpy()
    uses_score = metric in SCORE_METRICS
    cand = table["candidate_score" if uses_score else "candidate_pred"].to_numpy()
    prod = table["production_score" if uses_score else "production_pred"].to_numpy()
    if uses_score and cand.dtype == object:
        cand, prod = np.stack(list(cand)), np.stack(list(prod))
    diffs = np.empty(samples)
    for i in range(samples):
        idx = rng.integers(0, n, n)
        args_c = (truth[idx], None, cand[idx]) if uses_score else (truth[idx], cand[idx], None)
        args_p = (truth[idx], None, prod[idx]) if uses_score else (truth[idx], prod[idx], None)
        try:
            diffs[i] = improvement(
                compute_metric(metric, *args_c), compute_metric(metric, *args_p), direction
            )
        except ValueError:  # e.g. a resample with one class only has no ROC AUC
            diffs[i] = np.nan
    diffs = diffs[~np.isnan(diffs)]
    tail = (1 - confidence) / 2
    return float(np.quantile(diffs, tail)), float(np.quantile(diffs, 1 - tail))
