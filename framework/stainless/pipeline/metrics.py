"""Validation metrics, computed with scikit-learn (never hand-rolled)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn import metrics as skm

from stainless.project.config import SCORE_METRICS  # one definition, with the metric names


def compute_metric(
    name: str, y_true: Sequence[Any], y_pred: Sequence[Any] | None, y_score: Sequence[Any] | None
) -> float:
    """``y_pred`` are predictions; ``y_score`` positive-class probabilities (binary) or
    rows of class probabilities (multiclass), needed for roc_auc and log_loss."""
    truth = np.asarray(y_true)
    if name in SCORE_METRICS:
        if y_score is None:
            raise ValueError(f"{name} needs probabilities from the model")
        scores = np.asarray(y_score, dtype=float)
        labels = np.unique(truth)
        if name == "roc_auc":
            if scores.ndim == 1:
                return float(skm.roc_auc_score(truth, scores))
            return float(skm.roc_auc_score(truth, scores, multi_class="ovr", labels=labels))
        return float(skm.log_loss(truth, scores, labels=labels))
    if y_pred is None:
        raise ValueError(f"{name} needs predictions from the model")
    pred = np.asarray(y_pred)
    if name == "rmse":
        return float(skm.root_mean_squared_error(truth.astype(float), pred.astype(float)))
    if name == "mae":
        return float(skm.mean_absolute_error(truth.astype(float), pred.astype(float)))
    if name == "r2":
        return float(skm.r2_score(truth.astype(float), pred.astype(float)))
    if name == "accuracy":
        return float(skm.accuracy_score(truth, pred))
    if name == "f1":
        labels = np.unique(np.concatenate([truth, pred]))
        if len(labels) <= 2:
            return float(
                skm.f1_score(truth, pred, pos_label=labels[-1], average="binary", zero_division=0)
            )
        return float(skm.f1_score(truth, pred, average="macro", zero_division=0))
    raise ValueError(f"unknown metric {name!r}")


def improvement(candidate: float, production: float, direction: str) -> float:
    """How much better the candidate is, in metric units (positive = better)."""
    return candidate - production if direction == "maximize" else production - candidate
