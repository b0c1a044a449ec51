"""The preprocess stage: the data scientist's ``preprocess(ctx)`` called, what it returns
checked, the splits stored as Parquet with their fingerprints."""

from __future__ import annotations

import pandas as pd
import pytest
from stainless.core.errors import HookError
from stainless.pipeline.stages import run_stage
from stainless.pipeline.stages.preprocess import check_datasets, load_datasets
from stainless.project.config import load_config
from stainless.project.datasets import Datasets
from stainless.workspace import Workspace


def test_the_splits_are_stored_and_read_back(bake):
    workspace = Workspace(load_config(bake()))
    result = run_stage(workspace, "preprocess", "r1")
    datasets = load_datasets(workspace, "r1")
    assert result.splits["train"].rows == len(datasets.train) > 0
    assert result.splits["validation"].rows == len(datasets.validation) > 0
    total = len(datasets.train) + len(datasets.validation)
    assert result.validation_fraction == pytest.approx(len(datasets.validation) / total)
    assert result.data_fingerprint == "-".join(
        result.splits[name].fingerprint for name in sorted(result.splits)
    )
    # Same data, same fingerprint: lineage can tell two runs trained on the same rows.
    assert run_stage(workspace, "preprocess", "r2").data_fingerprint == result.data_fingerprint


def test_preprocess_returning_the_wrong_type_names_the_hook(bake):
    project_dir = bake()
    (project_dir / "preprocess.py").write_text(
        "def preprocess(ctx):\n    return ctx.read('houses')\n"
    )
    workspace = Workspace(load_config(project_dir))
    with pytest.raises(
        HookError,
        match=r"preprocess.py: preprocess must return a stainless.Datasets; found DataFrame",
    ):
        run_stage(workspace, "preprocess", "r")


@pytest.mark.parametrize(
    ("train", "validation", "message"),
    [
        ([1, 2], pd.DataFrame({"price": [1.0]}), "Datasets.train must be a pandas DataFrame"),
        (
            pd.DataFrame({"price": [1.0]}),
            pd.DataFrame({"price": []}),
            "Datasets.validation is empty",
        ),
        (pd.DataFrame({"area": [1.0]}), pd.DataFrame({"price": [1.0]}), "no target column 'price'"),
    ],
)
def test_each_split_is_checked_and_the_fix_named(train, validation, message):
    with pytest.raises(HookError, match=message) as caught:
        check_datasets(Datasets(train=train, validation=validation), "price", "preprocess.py")
    assert caught.value.file == "preprocess.py"
