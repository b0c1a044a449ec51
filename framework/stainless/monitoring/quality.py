"""Live quality: the model's metric on labelled traffic vs its validation metric.

True labels arrive later (a labels query joins them to captured predictions by request id). The
live metric gets a percentile-bootstrap confidence interval over the labelled rows; the model has
*dropped* when the whole interval is worse than the validation metric by more than the tolerance
(so a few unlucky labels do not alarm, and a real drop does once the sample shows it).
Pure: the metric function is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Metric = Callable[[Sequence[Any], Sequence[Any] | None, Sequence[Any] | None], float]
QualityStatus = Literal["ok", "dropped", "insufficient_data"]


@dataclass(frozen=True)
class QualitySettings:
    min_labels: int = 100
    confidence: float = 0.95
    tolerance: float = 0.0  # in metric units: a drop smaller than this is accepted
    samples: int = 1000
    seed: int = 0


@dataclass(frozen=True)
class QualityResult:
    status: QualityStatus
    metric: str
    direction: str
    labels: int  # labelled rows joined to captured predictions
    validation_value: float | None
    live_value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    confidence: float = 0.95
    reason: str = ""

    @property
    def change(self) -> float | None:
        """Live minus validation, in metric units."""
        if self.live_value is None or self.validation_value is None:
            return None
        return self.live_value - self.validation_value


def live_quality(
    metric_name: str,
    metric: Metric,
    direction: str,
    validation_value: float | None,
    truth: Sequence[Any],
    predictions: Sequence[Any] | None,
    scores: Sequence[Any] | None,
    settings: QualitySettings | None = None,
) -> QualityResult:
    settings = settings or QualitySettings()
    n = len(truth)
    base = {
        "metric": metric_name,
        "direction": direction,
        "labels": n,
        "validation_value": validation_value,
        "confidence": settings.confidence,
    }
    if n < settings.min_labels:
        return QualityResult(
            "insufficient_data",
            **base,  # type: ignore[arg-type]
            reason=f"{n} labelled rows; at least {settings.min_labels} are needed "
            "(monitoring.quality.min_labels)",
        )
    pred = np.asarray(predictions, dtype=object) if predictions is not None else None
    score = np.asarray(scores, dtype=object) if scores is not None else None
    true = np.asarray(truth, dtype=object)
    value = metric(list(true), _list(pred), _list(score))
    rng = np.random.default_rng(settings.seed)
    values = []
    for _ in range(settings.samples):
        rows = rng.integers(0, n, n)
        try:
            values.append(
                metric(
                    list(true[rows]),
                    _list(pred[rows] if pred is not None else None),
                    _list(score[rows] if score is not None else None),
                )
            )
        except ValueError:  # e.g. a resample holding one class only for roc_auc
            continue
    tail = (1 - settings.confidence) / 2
    low, high = (float(v) for v in np.quantile(values, [tail, 1 - tail]))
    dropped = False
    if validation_value is not None:
        if direction == "maximize":
            dropped = high < validation_value - settings.tolerance
        else:
            dropped = low > validation_value + settings.tolerance
    return QualityResult(
        "dropped" if dropped else "ok",
        **base,  # type: ignore[arg-type]
        live_value=float(value),
        ci_low=low,
        ci_high=high,
    )


def _list(values: Any) -> list[Any] | None:
    return None if values is None else list(values)
