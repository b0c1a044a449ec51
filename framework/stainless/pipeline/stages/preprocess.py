"""Stage 1: call the data scientist's ``preprocess(ctx)`` and store the splits as Parquet."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from stainless.core.errors import HookError
from stainless.pipeline.lineage import frame_fingerprint
from stainless.pipeline.stages.base import Stage, StageResult
from stainless.project.context import Context
from stainless.project.datasets import Datasets
from stainless.project.hooks import load_hook
from stainless.workspace import Workspace
from stainless.workspace.layout import dataset_key

STAGE = "preprocess"


@dataclass(frozen=True)
class SplitSummary:
    rows: int
    fingerprint: str


@dataclass(frozen=True)
class PreprocessResult(StageResult):
    splits: dict[str, SplitSummary]
    data_fingerprint: str
    validation_fraction: float
    duration_s: float
    metrics: dict[str, Any] = field(default_factory=dict)

    def summary(self, metric: str) -> str:
        return ", ".join(f"{name}: {split.rows} rows" for name, split in self.splits.items())


class Preprocess(Stage[PreprocessResult]):
    """Stage 1: call the data scientist's ``preprocess(ctx)``; store the splits as Parquet."""

    name = STAGE
    result_type = PreprocessResult

    def _run(self, workspace: Workspace, run_id: str, previous: None) -> PreprocessResult:
        config = workspace.config
        hook_file = config.hook_path("preprocess")
        preprocess = load_hook("preprocess", hook_file)
        work = workspace.work_dir / run_id / STAGE
        source = workspace.open_data()
        started = time.monotonic()
        try:
            ctx = Context(config, run_id, STAGE, work, data=source)
            datasets = preprocess(ctx)
        finally:
            source.close()
        check_datasets(datasets, config.target, hook_file.name)
        splits: dict[str, SplitSummary] = {}
        for split, frame in datasets.items():
            buffer = io.BytesIO()
            frame.to_parquet(buffer, index=False)
            workspace.store.put_bytes(dataset_key(run_id, split), buffer.getvalue())
            splits[split] = SplitSummary(len(frame), frame_fingerprint(frame))
        fingerprint = "-".join(splits[name].fingerprint for name in sorted(splits))
        total = sum(s.rows for s in splits.values())
        return PreprocessResult(
            splits=splits,
            data_fingerprint=fingerprint,
            validation_fraction=splits["validation"].rows / total if total else 0.0,
            duration_s=round(time.monotonic() - started, 3),
            metrics=ctx.metrics,
        )


def check_datasets(datasets: Any, target: str, hook_file: str) -> None:
    """Fail with a message naming the hook file and what to return instead."""
    if not isinstance(datasets, Datasets):
        raise HookError(
            "preprocess must return a stainless.Datasets",
            file=hook_file,
            found=type(datasets).__name__,
            fix="return Datasets(train=train_df, validation=validation_df)",
        )
    for split, frame in (
        ("train", datasets.train),
        ("validation", datasets.validation),
        ("test", datasets.test),
    ):
        if frame is None and split == "test":
            continue
        if not isinstance(frame, pd.DataFrame):
            raise HookError(
                f"Datasets.{split} must be a pandas DataFrame",
                file=hook_file,
                found=type(frame).__name__,
            )
        if frame.empty:
            raise HookError(
                f"Datasets.{split} is empty",
                file=hook_file,
                fix="check the query and the split in preprocess",
            )
        if target not in frame.columns:
            raise HookError(
                f"Datasets.{split} has no target column {target!r}",
                file=hook_file,
                found="columns " + ", ".join(map(str, frame.columns[:20])),
                fix="keep the target column in every split, or change `target:` in model.yaml",
            )
        if frame.columns.duplicated().any():
            raise HookError(f"Datasets.{split} has duplicate column names", file=hook_file)


def load_split(project: Workspace, run_id: str, split: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(project.store.get_bytes(dataset_key(run_id, split))))


def load_datasets(project: Workspace, run_id: str) -> Datasets:
    test_key = dataset_key(run_id, "test")
    return Datasets(
        train=load_split(project, run_id, "train"),
        validation=load_split(project, run_id, "validation"),
        test=load_split(project, run_id, "test") if project.store.exists(test_key) else None,
    )
