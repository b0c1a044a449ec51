"""``train`` of the SageMaker contract in this process: Parquet channels in, an extracted
``model.tar.gz`` in the model directory out (the same through the real entry point, in a
subprocess and in Docker: test_serve_entry.py, tests/cli/test_container.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from stainless.container.serve_entry import OptMl
from stainless.container.train_entry import (
    clear_directory,
    read_channels,
    run_id_from,
    train_into_opt_ml,
)
from stainless.core.errors import StageError
from stainless.pipeline.stages import run_stage
from stainless.project.config import load_config
from stainless.workspace import Workspace


def channel(opt: OptMl, split: str, *frames: pd.DataFrame) -> None:
    folder = opt.channel(split)
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(frames):
        frame.to_parquet(folder / f"part-{index}.parquet", index=False)


def test_a_channel_of_several_files_is_one_split_and_test_is_optional(tmp_path: Path):
    opt = OptMl(tmp_path)
    channel(opt, "train", pd.DataFrame({"y": [1, 2]}), pd.DataFrame({"y": [3]}))
    channel(opt, "validation", pd.DataFrame({"y": [4]}))
    datasets = read_channels(opt)
    assert datasets.train["y"].tolist() == [1, 2, 3] and datasets.test is None
    assert datasets.validation["y"].tolist() == [4]


def test_a_missing_or_unreadable_channel_names_it_and_the_fix(tmp_path: Path):
    opt = OptMl(tmp_path)
    channel(opt, "train", pd.DataFrame({"y": [1]}))
    with pytest.raises(StageError) as caught:
        read_channels(opt)
    text = caught.value.render()
    assert "no Parquet files in the 'validation' channel" in text and "docker run -v" in text
    (opt.channel("validation")).mkdir(parents=True)
    (opt.channel("validation") / "rows.parquet").write_text("not parquet")
    with pytest.raises(StageError, match="of the 'validation' channel is not a readable Parquet"):
        read_channels(opt)


def test_the_run_id_is_the_callers_else_the_jobs_name():
    assert run_id_from({"STAINLESS_RUN_ID": "r1", "TRAINING_JOB_NAME": "job"}) == "r1"
    assert run_id_from({"TRAINING_JOB_NAME": "house-prices-2026"}) == "house-prices-2026"
    assert run_id_from({}) != run_id_from({})  # a new one each time


def test_the_model_directory_is_emptied_not_removed(tmp_path: Path):
    model_dir = tmp_path / "model"
    (model_dir / "old" / "deep").mkdir(parents=True)
    (model_dir / "model.joblib").write_text("stale")
    clear_directory(model_dir)
    assert model_dir.is_dir() and not any(model_dir.iterdir())


def test_training_from_channels_leaves_the_bundle_in_the_model_directory(bake, tmp_path: Path):
    project_dir = bake()
    workspace = Workspace(load_config(project_dir))
    preprocessed = run_stage(workspace, "preprocess", "r1")
    opt = OptMl(tmp_path / "opt-ml")
    store = project_dir / ".stainless" / "store" / "runs" / "r1" / "datasets"
    for split in ("train", "validation"):
        channel(opt, split, pd.read_parquet(store / f"{split}.parquet"))
    opt.hyperparameters_file.parent.mkdir(parents=True)
    opt.hyperparameters_file.write_text(json.dumps({"alpha": "2.5"}))
    opt.model_dir.mkdir(parents=True)
    (opt.model_dir / "left-over.txt").write_text("from an earlier attempt")

    train_into_opt_ml(opt, project_dir, {"STAINLESS_RUN_ID": "job-1"})
    assert not (opt.model_dir / "left-over.txt").exists()
    assert (opt.model_dir / "model.joblib").is_file()
    manifest = json.loads((opt.model_dir / ".stainless" / "manifest.json").read_text())
    assert manifest["run_id"] == "job-1"
    assert manifest["lineage"]["hyperparameters"] == {"alpha": 2.5}
    # The same data as the pipeline's train stage would record for this run.
    assert manifest["lineage"]["data_fingerprint"] == preprocessed.data_fingerprint
