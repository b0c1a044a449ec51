"""``train`` of the SageMaker contract: channels in, ``/opt/ml/model`` out.

The pipeline's train stage reads its splits from the artifact store and registers a version; a
SageMaker training job instead gets the Parquet splits (written by our preprocess stage) as
channels and leaves the model in ``/opt/ml/model`` for SageMaker to upload. Both go through
``stainless.pipeline.stages.train.train_model`` (same hook, checks, lineage and bundle), so the
directory is exactly an extracted ``model.tar.gz``.

It sits in the container package, above the pipeline, beside the ``serve`` entry point
(:mod:`stainless.container.serve_entry`) whose ``/opt/ml`` layout it shares.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from stainless.container.serve_entry import OptMl, read_hyperparameters
from stainless.core.errors import StageError
from stainless.core.ids import new_run_id, sanitize_run_id
from stainless.pipeline import lineage
from stainless.pipeline.stages.preprocess import check_datasets
from stainless.pipeline.stages.train import train_model
from stainless.project.config import load_config
from stainless.project.datasets import SPLITS, Datasets
from stainless.project.secrets import load_secrets

log = logging.getLogger("stainless.pipeline")
STAGE = "train"


def train_into_opt_ml(opt: OptMl, project_dir: Path, environ: Mapping[str, str]) -> None:
    """Read the channels, call ``train(datasets, ctx)``, write the bundle into the model dir."""
    config = load_config(project_dir)
    load_secrets(config)  # into this job's process only; the job definition holds no value
    datasets = read_channels(opt)
    check_datasets(datasets, config.target, f"{opt.channels_dir} (written by preprocess.py)")
    run_id = run_id_from(environ)
    clear_directory(opt.model_dir)
    commit = environ.get("STAINLESS_GIT_COMMIT")
    trained = train_model(
        config,
        datasets,
        run_id,
        opt.output_data_dir,
        opt.model_dir,
        "-".join(lineage.frame_fingerprint(frame) for _, frame in datasets.items()),
        params=read_hyperparameters(opt.hyperparameters_file),
        git={"commit": commit} if commit else None,
    )
    duration, ctx = trained.duration_s, trained.context
    log.info("train finished in %.1fs; metrics %s", duration, ctx.metrics)


def read_channels(opt: OptMl) -> Datasets:
    """Each channel is a folder of Parquet files (one file from our preprocess stage; SageMaker
    copies every object under the channel's S3 prefix, so several are read and concatenated)."""
    frames: dict[str, pd.DataFrame | None] = {}
    for split in SPLITS:
        folder = opt.channel(split)
        files = sorted(folder.rglob("*.parquet")) if folder.is_dir() else []
        if not files:
            if split == "test":
                frames[split] = None
                continue
            raise StageError(
                f"no Parquet files in the {split!r} channel ({folder})",
                fix=f"give the training job a {split!r} channel pointing at the "
                f"{split}.parquet that `stainless preprocess` wrote (runs/<run-id>/datasets/), "
                f"or mount it at {folder} with `docker run -v`",
            )
        parts = [read_parquet(path, split) for path in files]
        frames[split] = parts[0] if len(parts) == 1 else pd.concat(parts, ignore_index=True)
    assert frames["train"] is not None and frames["validation"] is not None
    return Datasets(train=frames["train"], validation=frames["validation"], test=frames["test"])


def read_parquet(path: Path, split: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except PermissionError as exc:
        raise StageError(
            f"cannot read {path} of the {split!r} channel: permission denied",
            fix="the image runs as root, as SageMaker does; if you started it with --user, "
            "make the channel's files readable by that user (chmod a+r)",
        ) from exc
    except (OSError, ValueError) as exc:
        raise StageError(
            f"{path} of the {split!r} channel is not a readable Parquet file: {exc}",
            fix="point the channel at the Parquet files `stainless preprocess` wrote",
        ) from exc


def run_id_from(environ: Mapping[str, str]) -> str:
    """The pipeline's run id if the caller passed one, else the training job's name."""
    for name in ("STAINLESS_RUN_ID", "TRAINING_JOB_NAME"):
        if environ.get(name):
            return sanitize_run_id(environ[name])
    return new_run_id()


def clear_directory(folder: Path) -> None:
    """Empty the model directory without removing it: it is usually a mount point."""
    folder.mkdir(parents=True, exist_ok=True)
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child)
        else:
            child.unlink()
