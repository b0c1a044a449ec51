"""A hand-written DAG equivalent to a generated one (same tasks, edges, params, retries and
timeouts), written the way an Airflow user would without the generator. The parse benchmark
(benchmarks/dag_parse.py) compares the two; it copies this file with DAG_ID and PROJECT_DIR
replaced. Not used by the framework.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow.providers.standard.operators.python import BranchPythonOperator, PythonOperator
from airflow.providers.standard.sensors.python import PythonSensor
from airflow.sdk import DAG, Param

DAG_ID = "handwritten"
PROJECT_DIR = "/path/to/model"


def _project():  # noqa: ANN202
    from stainless.workspace import open_workspace

    return open_workspace(PROJECT_DIR)


def _run_id(dag_run) -> str:  # noqa: ANN001
    from stainless.core.ids import sanitize_run_id

    return sanitize_run_id(dag_run.run_id)


def run_stage(stage: str, dag_run):  # noqa: ANN001, ANN201
    from stainless.pipeline.stages import run_stage as run

    return run(_project(), stage, _run_id(dag_run))


def decide(dag_run, params) -> str:  # noqa: ANN001
    decision = run_stage("decide", dag_run)
    if decision.action != "promote" and not params["force_promote"]:
        return "not_promoted"
    return "finalize" if params["skip_canary"] else "deploy"


def not_promoted(dag_run) -> None:  # noqa: ANN001
    _project().notify("run_finished", "not promoted", _run_id(dag_run))


def rollout_tick(dag_run) -> bool:  # noqa: ANN001
    from stainless.pipeline.rollout_controller import tick

    return tick(_project(), _run_id(dag_run)).done


def on_failure(context) -> None:  # noqa: ANN001
    _project().notify("stage_failed", f"{context['ti'].task_id} failed", severity="alert")


with DAG(
    dag_id=DAG_ID,
    description="Train, evaluate and roll out a model",
    schedule="@daily",
    start_date=datetime.fromisoformat("2024-01-01T00:00:00+00:00"),
    catchup=False,
    max_active_runs=1,
    tags=["stainless", "handwritten"],
    params={
        "skip_canary": Param(False, type="boolean", description="Promote without a canary."),
        "force_promote": Param(False, type="boolean", description="Deploy even if rejected."),
    },
    default_args={
        "owner": "janedoe",
        "retries": 2,
        "retry_delay": timedelta(seconds=60),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(seconds=1800),
        "on_failure_callback": on_failure,
        "execution_timeout": timedelta(seconds=1800),
    },
):
    stages = {
        stage: PythonOperator(task_id=stage, python_callable=run_stage, op_args=[stage])
        for stage in ("preprocess", "train", "evaluate", "deploy")
    }
    choose = BranchPythonOperator(task_id="decide", python_callable=decide)
    stop = PythonOperator(task_id="not_promoted", python_callable=not_promoted)
    rollout = PythonSensor(
        task_id="rollout",
        python_callable=rollout_tick,
        mode="reschedule",
        poke_interval=300,
        timeout=3 * 86400,
    )
    finalize = PythonOperator(
        task_id="finalize",
        python_callable=run_stage,
        op_args=["finalize"],
        trigger_rule="none_failed_min_one_success",
    )
    stages["preprocess"] >> stages["train"] >> stages["evaluate"] >> choose
    choose >> [stop, stages["deploy"], finalize]
    stages["deploy"] >> rollout >> finalize
