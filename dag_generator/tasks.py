"""What each DAG task does when it runs. Imported at parse time, so: stdlib only at module level.

Every stainless import is inside a function: parsing a DAG file must not import pandas,
scikit-learn or boto3, nor touch the network or a database. The functions receive the DAG spec
and the Airflow task context; the Airflow run id becomes the stainless run id, so a retried task
re-uses what its first try produced (stages are idempotent per run id).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger("stainless.airflow")

# Where a SageMaker job writes its outputs when neither the DAG nor the environment says.
ENV_IMAGE = "STAINLESS_IMAGE"
ENV_ROLE = "STAINLESS_SAGEMAKER_ROLE"
ENV_OUTPUT = "STAINLESS_SAGEMAKER_OUTPUT"
# Airflow connections a deployment may define instead of (or besides) model.yaml's secrets:
# conn id -> {connection attribute: environment variable the backend reads}.
CONNECTIONS = {
    "stainless_slack": {"password": "SLACK_BOT_TOKEN"},
    "stainless_slack_webhook": {"password": "SLACK_WEBHOOK_URL"},
    "stainless_snowflake": {"login": "SNOWFLAKE_USER", "password": "SNOWFLAKE_PASSWORD"},
}
# Which backend (URI prefix of notify / data) reads each connection's variables.
CONNECTION_BACKENDS = {
    "stainless_slack": ("notify", "slack://"),
    "stainless_slack_webhook": ("notify", "slack+webhook://"),
    "stainless_snowflake": ("data", "snowflake://"),
}
_looked_up: set[str] = set()  # once per task process: a task opens its project several times


def open_project(spec: dict[str, Any]) -> Any:
    """The model's Workspace, from the configuration embedded in the DAG (not from disk)."""
    from stainless.project.config import config_from_mapping
    from stainless.workspace import Workspace

    if spec["project_dir"]:
        project_dir = Path(spec["project_dir"])
    else:  # aws: hooks run in the image; the worker only needs scratch space
        project_dir = Path(tempfile.gettempdir()) / "stainless" / spec["model"]
    config = config_from_mapping(spec["config"], project_dir, env=spec["env"])
    connections_to_env(
        [
            conn
            for conn, (key, prefix) in CONNECTION_BACKENDS.items()
            if config.backend(key).startswith(prefix)
        ]
    )
    aws = spec.get("aws") or {}
    # The endpoint's variants run the image (and role) the DAG was rendered with, like its jobs.
    for variable, value in ((ENV_IMAGE, aws.get("image")), (ENV_ROLE, aws.get("role_arn"))):
        if value:
            os.environ.setdefault(variable, value)
    # The project resolves model.yaml's secrets itself, when it first notifies or reads data.
    return Workspace(config)


def connections_to_env(conn_ids: list[str] | None = None, environ: Any = None) -> list[str]:
    """Copy the stainless_* Airflow connections that exist into this task process's
    environment (a variable already set wins). Task run time only: a DAG file's parse never
    reaches here, so the metadata database and secrets backend are never asked while parsing.
    ``conn_ids`` (default: all) are the ones this project's backends read; each is looked up
    at most once per process. Returns the variable names set (values are never logged)."""
    from stainless.core import redact

    target = os.environ if environ is None else environ
    wanted = {
        conn_id: mapping
        for conn_id, mapping in CONNECTIONS.items()
        if (conn_ids is None or conn_id in conn_ids)
        and conn_id not in _looked_up
        and any(not target.get(variable) for variable in mapping.values())
    }
    if not wanted:
        return []
    try:
        from airflow.sdk import Connection
        from airflow.sdk.exceptions import AirflowNotFoundException
    except ImportError:  # not inside Airflow (a test calling the task functions directly)
        return []
    set_names = []
    for conn_id, mapping in wanted.items():
        _looked_up.add(conn_id)
        try:
            connection = Connection.get(conn_id)
        except AirflowNotFoundException:  # not defined: model.yaml's secrets apply
            continue
        for attribute, variable in mapping.items():
            value = getattr(connection, attribute, None)
            if value and not target.get(variable):
                redact.register(str(value))
                target[variable] = str(value)
                set_names.append(variable)
    if set_names:
        log.info("from Airflow connections: %s", ", ".join(sorted(set_names)))
    return set_names


def run_id_of(context: Any) -> str:
    from stainless.core.ids import sanitize_run_id

    return sanitize_run_id(context["dag_run"].run_id)


def execute_stage(spec: dict[str, Any], stage: str, context: Any) -> dict[str, Any]:
    """Run one pipeline stage for this Airflow run; returns its result (kept as XCom)."""
    result = run_task_stage(spec, stage, context).to_record()
    return plain({**result, "stage": stage, "run_id": run_id_of(context)})


def run_task_stage(spec: dict[str, Any], stage: str, context: Any) -> Any:
    """One stage of this Airflow run, locally or as a SageMaker job; its typed result."""
    project = open_project(spec)
    run_id = run_id_of(context)
    log.info("%s: stage %s of run %s (target %s)", spec["model"], stage, run_id, spec["target"])
    if spec["tasks"][stage]["runs_on"].startswith("sagemaker"):
        result = run_on_sagemaker(project, spec, stage, run_id)
    elif stage == "deploy":
        from stainless.pipeline.stages import Deploy

        params = context["params"]
        deploy = Deploy(
            skip_canary=bool(params.get("skip_canary")),
            force_promote=bool(params.get("force_promote")),
        )
        result = deploy.run(project, run_id)
    else:
        result = run_local_stage(project, stage, run_id)
    return result


def run_local_stage(project: Any, stage: str, run_id: str) -> Any:
    """A stage on the Airflow worker itself; a heavy stage's wall time is priced notionally."""
    import time

    from stainless.backends.compute import JobResult
    from stainless.pipeline.cost import record_job_cost
    from stainless.pipeline.runner import HEAVY
    from stainless.pipeline.stages import STAGES, run_stage

    done_before = stage in STAGES and STAGES[stage].completed(project, run_id) is not None
    started = time.monotonic()
    result = run_stage(project, stage, run_id)
    if stage in HEAVY and not done_before:
        record_job_cost(project, run_id, stage, JobResult(0, time.monotonic() - started, 0.0))
    return result


def choose_branch(spec: dict[str, Any], context: Any) -> str:
    """decide, then which task follows: not_promoted or deploy."""
    decision = run_task_stage(spec, "decide", context)
    params = context["params"]
    promote = decision.approved
    if not promote and params.get("force_promote"):
        project = open_project(spec)
        project.notify(
            "decision",
            f"Decision overridden by a manual Airflow run: {decision.reason}; deploying anyway",
            run_id_of(context),
            severity="warning",
            fields={"param": "force_promote"},
        )
        promote = True
    return "deploy" if promote else "not_promoted"


def not_promoted(spec: dict[str, Any], context: Any) -> dict[str, Any]:
    """The run ends here: say so, with the decision's reason."""
    from stainless.pipeline.report import publish_report
    from stainless.pipeline.stages import Decide

    project = open_project(spec)
    run_id = run_id_of(context)
    decision = Decide.completed(project, run_id)
    reason = decision.reason if decision else "the decision record is missing"
    message = f"Run {run_id} finished: not promoted ({reason})"
    log.info(message)
    page = publish_report(project, run_id)
    project.notify(
        "run_finished",
        message,
        run_id,
        fields={"outcome": "not promoted"},
        links={"run report": page.url} if page else {},
    )
    return {"outcome": "not promoted", "reason": reason}


def rollout_tick(spec: dict[str, Any], context: Any) -> bool:
    """One tick of the rollout state machine; True once it is promoted or rolled back."""
    from stainless.pipeline.rollout_controller import tick

    status = tick(open_project(spec), run_id_of(context))
    log.info("rollout %s: %s", status.state, status.summary)
    return bool(status.done)


def finalize(spec: dict[str, Any], context: Any) -> dict[str, Any]:
    from stainless.pipeline.report import publish_report

    result = run_task_stage(spec, "finalize", context)
    project = open_project(spec)
    run_id = run_id_of(context)
    outcome = result.outcome
    page = publish_report(project, run_id)  # on S3; Slack links it through a presigned URL
    project.notify(
        "run_finished",
        f"Run {run_id} finished: {outcome}",
        run_id,
        fields={"outcome": outcome},
        links={"run report": page.url} if page else {},
    )
    return plain(result.to_record())


def on_failure(spec: dict[str, Any], context: Any) -> None:
    """Task failure callback (after the last retry): one alert naming the task and the error."""
    ti = context.get("ti") or context.get("task_instance")
    task_id = getattr(ti, "task_id", "?")
    tries = getattr(ti, "try_number", "?")
    error = context.get("exception")
    try:
        project = open_project(spec)
        run_id = run_id_of(context)
    except Exception:  # the callback must never raise: Airflow would log it and move on
        log.exception("could not open the project to report the failure of %s", task_id)
        return
    project.notify(
        "stage_failed",
        f"Airflow task {task_id} failed after {tries} tries: {error}",
        run_id,
        fields={"stage": task_id, "dag": spec["dag_id"]},
        severity="alert",
    )


def plain(result: dict[str, Any]) -> dict[str, Any]:
    """A JSON-safe copy (XCom stores JSON; stage results may hold numpy scalars or paths)."""
    return json.loads(json.dumps(result, default=str))


def run_on_sagemaker(project: Any, spec: dict[str, Any], stage: str, run_id: str) -> Any:
    """aws target: the stage runs in the model's image as a SageMaker job; the job records
    its result in the artifact store like a local stage does."""
    from stainless.backends.compute import StageJob
    from stainless.backends.compute.sagemaker import SageMakerCompute
    from stainless.core.errors import StageError
    from stainless.pipeline.cost import INSTANCE_TYPE_ENV, record_job_cost
    from stainless.pipeline.stages import STAGES

    aws = spec.get("aws") or {}
    store = project.config.backend("store")
    settings = {
        "image": aws.get("image") or os.environ.get(ENV_IMAGE),
        "role": aws.get("role_arn") or os.environ.get(ENV_ROLE),
        "output": aws.get("output_uri")
        or os.environ.get(ENV_OUTPUT)
        or (f"{store.rstrip('/')}/sagemaker" if store.startswith("s3://") else None),
    }
    missing = [name for name, value in settings.items() if not value]
    if missing:
        raise StageError(
            f"the aws DAG cannot start SageMaker jobs: no {', '.join(missing)} configured",
            fix=f"render with --image/--role-arn (or set {ENV_IMAGE}, {ENV_ROLE}, "
            f"{ENV_OUTPUT} on the Airflow workers), and use an s3:// store",
        )
    stage_type = STAGES[stage]
    if (done := stage_type.completed(project, run_id)) is not None:
        log.info("%s already completed for run %s; skipping", stage, run_id)
        return done
    task = spec["tasks"][stage]
    instance = task["instance"]
    compute = SageMakerCompute(
        str(settings["role"]),  # all three checked above
        str(settings["image"]),
        str(settings["output"]),
        job_prefix=spec["model"],
        instance_types={stage: instance["instance_type"]},
    )
    command = ["stainless", stage, "--run-id", run_id]
    if spec["env"]:
        command += ["--env", spec["env"]]
    env = {
        "STAINLESS_RUN_ID": run_id,
        "STAINLESS_LOG_FORMAT": "plain",
        INSTANCE_TYPE_ENV: instance["instance_type"],
        # Recorded in the version's lineage (and the run report): the image that trained it.
        "STAINLESS_IMAGE_URI": settings["image"],
    }
    if spec["env"]:
        env["STAINLESS_ENV"] = spec["env"]
    job = StageJob(
        stage=stage,
        run_id=run_id,
        command=command,
        cwd=Path("."),
        cpus=float(instance["cpus"]),
        memory_gb=float(instance["memory_gb"]),
        timeout_s=float(spec["max_runtime_s"]),
        env=env,
    )
    result = compute.run(job)
    # A failed job is billed too: record its cost first.
    record_job_cost(project, run_id, stage, result)
    if result.returncode != 0:
        raise StageError(
            f"stage {stage} failed on SageMaker: {result.reason}",
            fix="read the job's CloudWatch logs (/aws/sagemaker/...) for the error",
        )
    done = stage_type.completed(project, run_id)
    if done is None:
        raise StageError(
            f"the SageMaker job of stage {stage} completed but recorded no result "
            f"in the store {store}",
            fix="check that the image and this DAG use the same store "
            "(model.yaml environments / STAINLESS_STORE)",
        )
    return done
