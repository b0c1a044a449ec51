"""`stainless run`: the whole lifecycle locally, stage after stage, each in its own limits.

Stages run as subprocesses of the compute backend (like they would run as SageMaker jobs or
Airflow tasks), or in this process with ``in_process=True`` (faster, for debugging and tests).
Completed stages are skipped, so re-running a failed run id resumes where it stopped.
"""

from __future__ import annotations

import ast
import logging
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stainless.backends.compute import JobResult, StageJob, open_compute
from stainless.backends.notify.background import flush_notifications
from stainless.core.errors import StageError, StainlessError
from stainless.pipeline.cost import record_job_cost
from stainless.pipeline.report import ReportFile, publish_report
from stainless.pipeline.stages import (
    STAGES,
    Decide,
    DecideResult,
    Deploy,
    FinalizeResult,
    StageResult,
    run_stage,
)
from stainless.pipeline.stages.base import announce_failure
from stainless.workspace import Workspace

log = logging.getLogger("stainless.pipeline")

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

# Imported once by local compute and shared with every stage process it forks (see
# backends/compute/local.py): the libraries every stage uses and the framework's stage code;
# the third-party modules the project's hooks import are added per project (hook_imports).
PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "duckdb",
    "jsonschema_rs",
    "stainless.cli",
    "stainless.cli.stages",
    "stainless.pipeline.stages.preprocess",
    "stainless.pipeline.stages.train",
    "stainless.pipeline.stages.evaluate",
    "stainless.pipeline.stages.decide",
)
HOOKS = ("preprocess", "train", "model")


def hook_imports(config: Any) -> tuple[str, ...]:
    """Modules imported at the top level of the project's hook files (e.g. sklearn.pipeline,
    matplotlib.pyplot), except the project's own: local compute preloads them, so each stage
    process starts with them. Only reads the files (no project code runs here)."""
    found: list[str] = []
    for hook in HOOKS:
        try:
            tree = ast.parse(config.hook_path(hook).read_text())
        except (OSError, SyntaxError, KeyError):
            continue  # the stage itself reports it
        for node in tree.body:
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.append(node.module)
    own = {path.stem for path in config.project_dir.glob("*.py")}
    own |= {path.name for path in config.project_dir.iterdir() if (path / "__init__.py").is_file()}
    return tuple(dict.fromkeys(name for name in found if name.split(".")[0] not in own))


@dataclass(frozen=True)
class RolloutSummary(StageResult):
    """How the rollout loop ended (not a stage: it has no marker; its state is the record)."""

    state: str
    reason: str
    weight: float
    ticks: int
    decisions: int

    def summary(self, metric: str) -> str:
        return f"{self.state.upper()} after {self.ticks} ticks: {self.reason}"


@dataclass
class RunReport:
    run_id: str
    stages: dict[str, StageResult] = field(default_factory=dict)
    durations: dict[str, float] = field(default_factory=dict)
    failed: str | None = None
    error: str | None = None
    report: ReportFile | None = None  # the run's HTML report, once it finished

    @property
    def ok(self) -> bool:
        return self.failed is None

    @property
    def outcome(self) -> str | None:
        """What the run came to: the rollout's outcome, else the decision."""
        if isinstance(finalized := self.stages.get("finalize"), FinalizeResult):
            return finalized.outcome
        if isinstance(decided := self.stages.get("decide"), DecideResult):
            return decided.action
        return None


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
    project: Workspace,
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
    # before any work, instead of silently losing every message of it. A notifier that needs
    # a secret resolves model.yaml's secrets here; stage subprocesses resolve their own.
    project.notifier  # noqa: B018
    if not any(STAGES[s].completed(project, run_id) for s in stages if s in STAGES):
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
                report.stages[stage] = Deploy(skip_canary=rollout.skip_canary).run(project, run_id)
            elif stage not in HEAVY:
                report.stages[stage] = run_stage(project, stage, run_id)
            elif in_process:
                done_before = STAGES[stage].completed(project, run_id) is not None
                report.stages[stage] = run_stage(project, stage, run_id)
                if not done_before:
                    elapsed = time.monotonic() - started
                    record_job_cost(project, run_id, stage, JobResult(0, elapsed, 0.0))
            else:
                report.stages[stage] = _run_subprocess(project, stage, run_id)
        except StainlessError as exc:
            report.failed, report.error = stage, exc.render()
            if on_stage:
                on_stage(stage, "failed")
            flush_notifications(project.notifier)
            return report
        report.durations[stage] = time.monotonic() - started
        if on_stage:
            on_stage(stage, "done")
    if report.outcome:
        page = publish_report(project, run_id)
        report.report = page
        project.notify(
            "run_finished",
            f"Run {run_id} finished: {report.outcome}",
            run_id,
            links={"run report": page.url} if page else {},
        )
    # Messages go out in the background; give them a bounded moment before the run returns.
    flush_notifications(project.notifier)
    return report


def _approved(project: Workspace, run_id: str) -> bool:
    decision = Decide.completed(project, run_id)
    return decision is not None and decision.approved


def _drive(project: Workspace, run_id: str, options: RolloutOptions) -> RolloutSummary:
    from stainless.pipeline.rollout_driver import drive_rollout

    try:
        state = drive_rollout(
            project, run_id, traffic=options.traffic, rate=options.rate, on_tick=options.on_tick
        )
    except StainlessError as exc:
        announce_failure(project, "rollout", run_id, exc)
        raise
    return RolloutSummary(
        state=state.state,
        reason=state.reason,
        weight=state.weight,
        ticks=len(state.ticks),
        decisions=len(state.decisions),
    )


def _run_subprocess(project: Workspace, stage: str, run_id: str) -> StageResult:
    stage_type = STAGES[stage]
    if (done := stage_type.completed(project, run_id)) is not None:
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
        preload=PRELOAD + hook_imports(config),
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
    done = stage_type.completed(project, run_id)
    if done is None:
        raise StageError(f"stage {stage} exited cleanly but recorded no result")
    return done
