"""Diagnostic figures kept with every evaluation (predicted vs actual, or ROC / confusion)."""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: containers and CI have no display

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from stainless.project.config import ModelConfig  # noqa: E402


def evaluation_figure(
    config: ModelConfig,
    table: pd.DataFrame,
    candidate: float,
    production: tuple[int, float] | None = None,
) -> bytes:
    """``production``: the production version and its metric, when it could be scored."""
    figure, axis = plt.subplots(figsize=(6, 4.5))
    try:
        if config.is_classification:
            _confusion(axis, table)
        else:
            _scatter(axis, table)
        title = f"{config.name}: {config.metric} = {candidate:.4g}"
        if production is not None:
            title += f" (production v{production[0]}: {production[1]:.4g})"
        axis.set_title(title, fontsize=9)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _scatter(axis: Any, table: pd.DataFrame) -> None:
    truth = table["y_true"].astype(float)
    axis.scatter(truth, table["candidate_pred"].astype(float), s=8, alpha=0.6, label="candidate")
    if "production_pred" in table:
        axis.scatter(
            truth, table["production_pred"].astype(float), s=8, alpha=0.4, label="production"
        )
    low, high = float(truth.min()), float(truth.max())
    axis.plot([low, high], [low, high], color="grey", linewidth=1)
    axis.set_xlabel("actual")
    axis.set_ylabel("predicted")
    axis.legend(fontsize=8)


def _confusion(axis: Any, table: pd.DataFrame) -> None:
    # A row without a class (the model answered only a score there) has no cell to count in.
    answered = table[table["candidate_pred"].notna()]
    if answered.empty:
        axis.text(0.5, 0.5, "no class predictions", ha="center")
        return
    labels = sorted(set(answered["y_true"]) | set(answered["candidate_pred"]), key=str)
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=int)
    for truth, pred in zip(answered["y_true"], answered["candidate_pred"], strict=True):
        matrix[index[truth], index[pred]] += 1
    axis.imshow(matrix, cmap="Blues")
    for (row, col), count in np.ndenumerate(matrix):
        axis.text(col, row, str(count), ha="center", va="center", fontsize=8)
    axis.set_xticks(range(len(labels)), [str(x) for x in labels])
    axis.set_yticks(range(len(labels)), [str(x) for x in labels])
    axis.set_xlabel("predicted")
    axis.set_ylabel("actual")
