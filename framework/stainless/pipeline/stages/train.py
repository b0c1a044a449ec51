"""Stage 2: call ``train(datasets, ctx)``, package the artifacts, register a candidate version.

:func:`train_model` is shared by this stage (datasets from the store, a version registered) and
the container's SageMaker ``train`` (datasets from channels, the model left in /opt/ml/model):
both run the same hook, the same checks, record the same lineage and write the same bundle.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stainless.core.errors import DataCheckError, HookError
from stainless.monitoring.profile import reference_profile
from stainless.pipeline import lineage
from stainless.pipeline.cost import estimate_in_stage, format_usd
from stainless.pipeline.stages.base import Stage, StageResult
from stainless.pipeline.stages.preprocess import Preprocess, PreprocessResult, load_datasets
from stainless.project.config import ModelConfig
from stainless.project.context import Context
from stainless.project.data_checks import DataCheckSettings, check_datasets
from stainless.project.datasets import Datasets
from stainless.project.hooks import load_hook
from stainless.project.lock import installed_mismatches, lock_digest
from stainless.project.schemas import load_schemas
from stainless.workspace import Workspace
from stainless.workspace.layout import figure_key, model_key, reference_profile_key
from stainless.workspace.packaging import package_model, write_bundle

log = logging.getLogger("stainless.pipeline")
STAGE = "train"


@dataclass(frozen=True)
class TrainResult(StageResult):
    version: int
    artifact: str
    duration_s: float
    metrics: dict[str, Any] = field(default_factory=dict)

    def summary(self, metric: str) -> str:
        return f"version {self.version} in {self.duration_s:.2f}s"


class Train(Stage[TrainResult]):
    name = STAGE
    result_type = TrainResult
    requires = Preprocess
    missing = "has no preprocessed data"

    def _run(self, workspace: Workspace, run_id: str, previous: PreprocessResult) -> TrainResult:
        config = workspace.config
        work = workspace.work_dir / run_id / STAGE
        artifact_dir = work / "artifacts"
        if artifact_dir.exists():
            shutil.rmtree(artifact_dir)
        artifact_dir.mkdir(parents=True)
        datasets = load_datasets(workspace, run_id)
        trained = train_model(
            config,
            datasets,
            run_id,
            work,
            artifact_dir,
            previous.data_fingerprint,
        )
        ctx, duration, record = trained.context, trained.duration_s, trained.lineage
        tarball = work / "model.tar.gz"
        package_model(artifact_dir, tarball)
        key = model_key(run_id)
        workspace.store.put_file(key, tarball)
        figures = sorted(ctx.figures_dir.glob("*.png")) if ctx.figures_dir.is_dir() else []
        for figure in figures:
            workspace.store.put_file(figure_key(run_id, figure.name), figure)
        # What the live model's traffic is compared with (docs/monitoring.md); evaluate adds the
        # prediction's distribution on the validation rows.
        features = [c for c in datasets.train.columns if c != config.target]
        profile = reference_profile(datasets.train, features)
        workspace.store.put_bytes(
            reference_profile_key(run_id), json.dumps(profile.to_dict()).encode()
        )
        version = workspace.registry.register(run_id, workspace.store.url(key), record)
        workspace.registry.update_metrics(version.version, {"training": ctx.metrics})
        # The bill is only known once the job has ended; the message says what this much time
        # costs on the stage's instance (or notionally, locally), and says which.
        estimate = estimate_in_stage(workspace, run_id, STAGE, duration)
        cost = format_usd(estimate.usd, estimate.notional) if estimate.usd is not None else None
        workspace.notify(
            "training_finished",
            f"Version {version.version} trained in {duration:.1f}s" + (f", {cost}" if cost else ""),
            run_id,
            fields={
                "version": version.version,
                "duration_s": round(duration, 2),
                "cost": cost,
                **ctx.metrics,
            },
        )
        (work / "lineage.json").write_text(json.dumps(record, indent=2, default=str))
        return TrainResult(
            version=version.version,
            artifact=key,
            duration_s=round(duration, 3),
            metrics=ctx.metrics,
        )


@dataclass
class Trained:
    context: Context
    duration_s: float
    lineage: dict[str, Any]


def train_model(
    config: ModelConfig,
    datasets: Datasets,
    run_id: str,
    work: Path,
    artifact_dir: Path,
    data_fingerprint: str,
    params: dict[str, Any] | None = None,
    git: dict[str, Any] | None = None,
) -> Trained:
    """``artifact_dir`` must exist and be empty; on return it is an extracted model.tar.gz."""
    hook_file = config.hook_path("train")
    train = load_hook("train", hook_file)
    check_training_data(config, datasets)
    ctx = Context(config, run_id, "train", work, artifact_dir=artifact_dir)
    ctx.params.update(params or {})
    started = time.monotonic()
    result = train(datasets, ctx)
    duration = time.monotonic() - started
    if result is not None:
        log.warning(
            "%s: train returned a value, which is ignored; write files into "
            "ctx.artifact_dir instead",
            hook_file.name,
        )
    if not any(artifact_dir.iterdir()):
        raise HookError(
            "train wrote no artifacts",
            file=hook_file.name,
            fix="save the fitted model into ctx.artifact_dir, e.g. "
            "joblib.dump(model, ctx.artifact_dir / 'model.joblib')",
        )
    hooks = {name: config.hook_path(name) for name in ("preprocess", "train", "model", "schemas")}
    drift = installed_mismatches(config.project_dir)
    if drift:
        log.warning(
            "this environment differs from requirements.lock (%s); the image installs the "
            "lock: `pip install -r requirements.lock` to train with the same versions",
            ", ".join(drift[:5]),
        )
    record = {
        "run_id": run_id,
        "git": git if git is not None else lineage.git_commit(config.project_dir),
        "config_hash": config.hash,
        "data_fingerprint": data_fingerprint,
        "hooks": lineage.hook_digests(hooks),
        "environment": lineage.environment(),
        # Which exact dependency set this version was meant to run with (None: no lock yet).
        "requirements_lock_sha256": lock_digest(config.project_dir),
        "requirements_lock_mismatches": drift,
        "training_duration_s": round(duration, 3),
        "training_metrics": ctx.metrics,
    }
    if params:
        record["hyperparameters"] = params
    if image := os.environ.get("STAINLESS_IMAGE_URI"):  # set on SageMaker jobs: what ran it
        record["image"] = image
    write_bundle(
        artifact_dir,
        config.hook_path("model"),
        config.hook_path("schemas"),
        {
            "model": config.name,
            "run_id": run_id,
            "lineage": record,
            # serving.chaos (drills only) travels with the version; the server applies it.
            "serving_chaos": config.raw.get("serving", {}).get("chaos", {}),
        },
    )
    return Trained(ctx, duration, record)


def check_training_data(config: ModelConfig, datasets: Datasets) -> None:
    """The contract before the fit: every split's feature columns against the request schema
    and model.yaml ``data_checks``; a violation stops the stage with counts and examples."""
    schemas = load_schemas(config.hook_path("schemas"))
    report = check_datasets(
        datasets,
        schemas.request,
        config.target,
        DataCheckSettings.from_mapping(config.raw.get("data_checks")),
        schemas.file,
    )
    if not report.ok:
        raise DataCheckError(
            f"the training data breaks the contract ({len(report.violations)} problem(s)):\n"
            f"{report.render()}",
            file=config.hook_path("preprocess").name,
            fix="make preprocess return columns that requests will carry, or change "
            f"{schemas.file} 'request' / model.yaml data_checks (docs/data-checks.md)",
        )
    log.info("training data checked against the request schema: %s rows", report.rows)
