"""`stainless run`: the whole lifecycle locally, stage after stage, each in its own limits.

Stages run as subprocesses of the compute backend (like they would run as SageMaker jobs or
Airflow tasks), or in this process with ``in_process=True`` (faster, for debugging and tests).
Completed stages are skipped, so re-running a failed run id resumes where it stopped.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stainless.backends.compute import JobResult, StageJob, open_compute
from stainless.core.errors import StageError, StainlessError
from stainless.pipeline import markers
from stainless.pipeline.cost import record_job_cost
from stainless.pipeline.decide import run_decide
from stainless.pipeline.deploy import run_deploy
from stainless.pipeline.evaluate import run_evaluate
from stainless.pipeline.finalize import run_finalize
from stainless.pipeline.preprocess import run_preprocess
from stainless.pipeline.project import Project
from stainless.pipeline.report import ReportFile, publish_report
from stainless.pipeline.train import run_train

log = logging.getLogger("stainless.pipeline")

StageFunction = Callable[[Project, str, bool], dict[str, Any]]
STAGES: dict[str, StageFunction] = {
    "preprocess": run_preprocess,
    "train": run_train,
    "evaluate": run_evaluate,
    "decide": run_decide,
    "deploy": run_deploy,
    "finalize": run_finalize,
}
# The lifecycle: the stages, with the rollout loop between deploy and finalize.
LIFECYCLE = ("preprocess", "train", "evaluate", "decide", "deploy", "rollout", "finalize")
# Stages that need the model's resources run as limited subprocesses; the others only talk to
# the endpoint and the registry, so they run in the controller's process.
HEAVY = frozenset({"preprocess", "train", "evaluate", "decide"})
# Which resources block of model.yaml bounds each stage.
STAGE_RESOURCES = {
    "preprocess": "preprocess",
    "train": "train",
    "evaluate": "preprocess",
    "decide": "preprocess",
}


@dataclass
class RunReport:
    run_id: str
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    failed: str | None = None
    error: str | None = None
    report: ReportFile | None = None  # the run's HTML report, once it finished

    @property
    def ok(self) -> bool:
        return self.failed is None


def run_stage(project: Project, stage: str, run_id: str, force: bool = False) -> dict[str, Any]:
    """Run one stage in this process (what the CLI stage commands and the DAG call)."""
    if stage not in STAGES:
        raise StageError(f"unknown stage {stage!r}", expected=", ".join(STAGES))
    try:
        return STAGES[stage](project, run_id, force)
    except StainlessError as exc:
        project.notify(
            "stage_failed",
            f"{stage} failed: {exc}",
            run_id,
            fields={"stage": stage},
            severity="alert",
        )
        raise
    except Exception as exc:
        project.notify(
            "stage_failed",
            f"{stage} failed: {type(exc).__name__}: {exc}",
            run_id,
            fields={"stage": stage},
            severity="alert",
        )
        raise


def stage_names(until: str | None) -> list[str]:
    names = list(LIFECYCLE)
    if until is None:
        return names
    if until not in LIFECYCLE:
        raise StageError(f"unknown stage {until!r} for --until", expected=", ".join(LIFECYCLE))
    return names[: names.index(until) + 1]


@dataclass
class RolloutOptions:
    """How `stainless run` drives the rollout: replay validation traffic (the local demo), at
    what rate, and whether to skip the canary."""

    traffic: bool = True
    rate: float = 200.0
    skip_canary: bool = False
    on_tick: Callable[[Any], None] | None = None


def run_lifecycle(
    project: Project,
    run_id: str,
    until: str | None = None,
    in_process: bool = False,
    on_stage: Callable[[str, str], None] | None = None,
    rollout: RolloutOptions | None = None,
) -> RunReport:
    report = RunReport(run_id)
    stages = stage_names(until)
    rollout = rollout or RolloutOptions()
    # Build the notifier first: a misconfigured one (e.g. no SLACK_BOT_TOKEN) fails the run
    # before any work, instead of silently losing every message of it.
    project.notifier  # noqa: B018
    if not any(markers.completed(project.store, run_id, s) for s in stages if s in STAGES):
        project.notify(
            "run_started", f"Run {run_id} started", run_id, fields={"stages": " → ".join(stages)}
        )
    for stage in stages:
        if stage in ("deploy", "rollout", "finalize") and not _approved(project, run_id):
            break
        if on_stage:
            on_stage(stage, "start")
        started = time.monotonic()
        try:
            if stage == "rollout":
                report.stages[stage] = _drive(project, run_id, rollout)
            elif stage == "deploy":
                report.stages[stage] = run_deploy(project, run_id, skip_canary=rollout.skip_canary)
            elif stage not in HEAVY:
                report.stages[stage] = run_stage(project, stage, run_id)
            elif in_process:
                done_before = markers.completed(project.store, run_id, stage) is not None
                report.stages[stage] = run_stage(project, stage, run_id)
                if not done_before:
                    elapsed = time.monotonic() - started
                    record_job_cost(project, run_id, stage, JobResult(0, elapsed, 0.0))
            else:
                report.stages[stage] = _run_subprocess(project, stage, run_id)
        except StainlessError as exc:
            report.failed, report.error = stage, exc.render()
            if stage in ("deploy", "rollout"):  # the other stages notify in run_stage
                project.notify(
                    "stage_failed",
                    f"{stage} failed: {exc.render()}",
                    run_id,
                    fields={"stage": stage},
                    severity="alert",
                )
            if on_stage:
                on_stage(stage, "failed")
            return report
        report.durations[stage] = time.monotonic() - started
        if on_stage:
            on_stage(stage, "done")
    outcome = _outcome(report)
    if outcome:
        page = publish_report(project, run_id)
        report.report = page
        project.notify(
            "run_finished",
            f"Run {run_id} finished: {outcome}",
            run_id,
            links={"run report": page.url} if page else {},
        )
    return report


def _approved(project: Project, run_id: str) -> bool:
    decision = markers.completed(project.store, run_id, "decide") or {}
    return decision.get("action") == "promote"


def _drive(project: Project, run_id: str, options: RolloutOptions) -> dict[str, Any]:
    from stainless.rollout.driver import drive_rollout

    state = drive_rollout(
        project, run_id, traffic=options.traffic, rate=options.rate, on_tick=options.on_tick
    )
    return {
        "state": state.state,
        "reason": state.reason,
        "weight": state.weight,
        "ticks": len(state.ticks),
        "decisions": len(state.decisions),
    }


def _outcome(report: RunReport) -> str | None:
    if "finalize" in report.stages:
        return report.stages["finalize"]["outcome"]
    if "decide" in report.stages:
        return report.stages["decide"]["action"]
    return None


def _run_subprocess(project: Project, stage: str, run_id: str) -> dict[str, Any]:
    if (done := markers.completed(project.store, run_id, stage)) is not None:
        return done
    config = project.config
    resources = config.resources_for(STAGE_RESOURCES[stage])
    command = [sys.executable, "-m", "stainless", stage, "-C", str(project.dir), "--run-id", run_id]
    if config.env:
        command += ["--env", config.env]
    job = StageJob(
        stage=stage,
        run_id=run_id,
        command=command,
        cwd=project.dir,
        cpus=float(resources["cpus"]),
        memory_gb=float(resources["memory_gb"]),
        timeout_s=config.max_runtime_seconds,
        env={"STAINLESS_LOG_FORMAT": "plain"},
    )
    result = open_compute("local://", project.dir).run(job)
    record_job_cost(project, run_id, stage, result)
    if result.reason:
        message = f"stage {stage} was stopped: it {result.reason}"
        project.notify("stage_failed", message, run_id, fields={"stage": stage}, severity="alert")
        raise StageError(
            message,
            file="model.yaml",
            fix="raise max_runtime / resources in model.yaml, or make the stage lighter",
        )
    if result.returncode != 0:
        raise StageError(
            f"stage {stage} failed (exit code {result.returncode}); its error is printed above"
        )
    done = markers.completed(project.store, run_id, stage)
    if done is None:
        raise StageError(f"stage {stage} exited cleanly but recorded no result")
    return done
