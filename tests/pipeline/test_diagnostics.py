"""stainless.pipeline.diagnostics: the evaluation figure kept with every run (predicted vs
actual for regression, a confusion matrix for classification)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from stainless.pipeline.diagnostics import evaluation_figure
from stainless.workspace import open_workspace

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_regression_figure_plots_candidate_and_production(bake: Callable[..., Path]):
    config = open_workspace(bake()).config
    assert not config.is_classification
    table = pd.DataFrame({"y_true": [1.0, 2.0, 3.0], "candidate_pred": [1.1, 2.2, 2.7]})
    alone = evaluation_figure(config, table, 0.2)
    table["production_pred"] = [1.5, 1.5, 3.5]
    beside = evaluation_figure(config, table, 0.2, production=(1, 0.4))
    assert alone.startswith(PNG) and beside.startswith(PNG) and alone != beside


def test_a_confusion_matrix_skips_rows_without_a_class(bake: Callable[..., Path]):
    config = open_workspace(bake(metric="accuracy")).config
    assert config.is_classification
    table = pd.DataFrame({"y_true": [0, 1, 1, 0], "candidate_pred": [0, 1, 0, 0]})
    assert evaluation_figure(config, table, 0.75).startswith(PNG)
    # A model that answered only a score for some rows: those rows have no class to count.
    table["candidate_pred"] = [0, None, 0, 1]
    assert evaluation_figure(config, table, 0.5).startswith(PNG)
    table["candidate_pred"] = [None] * 4
    assert evaluation_figure(config, table, 0.5).startswith(PNG)
