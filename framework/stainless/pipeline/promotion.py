"""The promotion criterion: is the candidate better than production by enough, and sure enough?"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from stainless.pipeline.metrics import SCORE_METRICS, compute_metric, improvement


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
    policy: dict[str, Any],
    metric: str,
    direction: str,
) -> Verdict:
    candidate = float(evaluation["candidate"]["value"])
    threshold = policy.get("threshold")
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
    wanted = float(policy.get("min_improvement", 0.0))
    required = wanted * abs(prod) if policy.get("improvement", "relative") == "relative" else wanted
    bootstrap = policy.get("bootstrap", {})
    if bootstrap.get("enabled"):
        low, high = paired_bootstrap(predictions, metric, direction, bootstrap)
        ok = low > required
        level = bootstrap.get("confidence", 0.95)
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
    table: pd.DataFrame, metric: str, direction: str, settings: dict[str, Any]
) -> tuple[float, float]:
    """Percentile interval of (candidate - production) improvement, resampling rows in pairs."""
    rng = np.random.default_rng(int(settings.get("seed", 0)))
    samples = int(settings.get("samples", 1000))
    confidence = float(settings.get("confidence", 0.95))
    n = len(table)
    truth = table["y_true"].to_numpy()
    uses_score = metric in SCORE_METRICS
    cand = table["candidate_score" if uses_score else "candidate_pred"].to_numpy()
    prod = table["production_score" if uses_score else "production_pred"].to_numpy()
    if uses_score and cand.dtype == object:
        cand, prod = np.stack(cand), np.stack(prod)
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
