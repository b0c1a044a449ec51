"""Stage 2: call ``train(datasets, ctx)``, package the artifacts, register a candidate version."""

from __future__ import annotations

import json
import logging
import shutil
from typing import Any

from stainless.core.errors import StageError
from stainless.pipeline import markers
from stainless.pipeline.cost import estimate_in_stage, format_usd
from stainless.pipeline.layout import figure_key, model_key
from stainless.pipeline.packaging import package_model
from stainless.pipeline.preprocess import load_datasets
from stainless.pipeline.project import Project
from stainless.pipeline.training import train_model

log = logging.getLogger("stainless.pipeline")
STAGE = "train"


def run_train(project: Project, run_id: str, force: bool = False) -> dict[str, Any]:
    if not force and (done := markers.completed(project.store, run_id, STAGE)):
        log.info("train already done for run %s; skipping", run_id)
        return done
    prep = markers.completed(project.store, run_id, "preprocess")
    if prep is None:
        raise StageError(
            f"run {run_id} has no preprocessed data",
            fix=f"run `stainless preprocess --run-id {run_id}` first",
        )
    config = project.config
    work = project.work_dir / run_id / STAGE
    artifact_dir = work / "artifacts"
    if artifact_dir.exists():
        shutil.rmtree(artifact_dir)
    artifact_dir.mkdir(parents=True)
    trained = train_model(
        config, load_datasets(project, run_id), run_id, work, artifact_dir, prep["data_fingerprint"]
    )
    ctx, duration, record = trained.context, trained.duration_s, trained.lineage
    tarball = work / "model.tar.gz"
    package_model(artifact_dir, tarball)
    key = model_key(run_id)
    project.store.put_file(key, tarball)
    for figure in sorted(ctx.figures_dir.glob("*.png")) if ctx.figures_dir.is_dir() else []:
        project.store.put_file(figure_key(run_id, figure.name), figure)
    version = project.registry.register(run_id, project.store.url(key), record)
    project.registry.update_metrics(version.version, {"training": ctx.metrics})
    # The bill is only known once the job has ended; the message says what this much time
    # costs on the stage's instance (or notionally, locally), and says which.
    estimate = estimate_in_stage(project, run_id, STAGE, duration)
    cost = format_usd(estimate.usd, estimate.notional) if estimate.usd is not None else None
    project.notify(
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
    return markers.mark_completed(
        project.store,
        run_id,
        STAGE,
        {
            "version": version.version,
            "artifact": key,
            "duration_s": round(duration, 3),
            "metrics": ctx.metrics,
        },
    )
