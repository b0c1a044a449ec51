"""Build a model's Airflow DAG from its spec. The only module a generated DAG file imports.

Parse-time budget: Airflow re-parses every DAG file every few seconds, so this module imports
only ``airflow.sdk``, the standard provider's branch operator, :mod:`dag_generator.tasks` and
:mod:`dag_generator.monitor_tasks` (stdlib only). Building a DAG is a loop over the spec: no
I/O, no network, no database.

Graph: preprocess >> train >> evaluate >> decide, then decide branches to not_promoted (the run
ends) or deploy >> rollout >> finalize (with the run's ``skip_canary`` param, deploy gives the
candidate all traffic and rollout ends at its first look). rollout is a sensor in reschedule
mode: each poke is one tick of the rollout state machine and frees its worker slot in between.
With ``monitoring.retrain.enabled`` the training DAG is also scheduled on the model's retrain
asset (``AssetOrTimeSchedule``: its cron or an asset event, whichever comes first).

A monitoring spec (``kind: monitor``) builds the model's monitoring DAG: ``check`` (one
monitoring check, a branch) and, with retraining enabled, ``retrain``, whose outlet is that asset:
it runs only when the check asks for a retraining, and its success is the asset event.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from airflow.providers.standard.operators.branch import BaseBranchOperator
from airflow.sdk import (
    DAG,
    Asset,
    AssetOrTimeSchedule,
    BaseOperator,
    BaseSensorOperator,
    CronTriggerTimetable,
    Param,
)

from dag_generator import monitor_tasks, tasks

SUPPORTED_FORMATS = frozenset({1})
STAGE_TASKS = ("preprocess", "train", "evaluate", "deploy")


class StageOperator(BaseOperator):
    """Runs one pipeline stage of this Airflow run (locally or as a SageMaker job)."""

    ui_color = "#dfe8f2"

    def __init__(self, *, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def execute(self, context: Any) -> dict[str, Any]:
        return tasks.execute_stage(self.spec, self.task_id, context)


class EndOperator(StageOperator):
    """A task that ends the run (finalize, or not_promoted) and announces the outcome."""

    ui_color = "#e3f2df"

    def execute(self, context: Any) -> dict[str, Any]:
        if self.task_id == "finalize":
            return tasks.finalize(self.spec, context)
        return tasks.not_promoted(self.spec, context)


class DecideOperator(BaseBranchOperator):
    """Runs decide, then follows not_promoted or deploy."""

    ui_color = "#f6ecd2"

    def __init__(self, *, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def choose_branch(self, context: Any) -> str:
        return tasks.choose_branch(self.spec, context)


class RolloutSensor(BaseSensorOperator):
    """Ticks the rollout state machine until the candidate is promoted or rolled back."""

    ui_color = "#efe2f5"

    def __init__(self, *, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def poke(self, context: Any) -> bool:
        return tasks.rollout_tick(self.spec, context)


class FailureCallback:
    """Alerts through the model's notifier when a task fails for good (after its retries).

    A class rather than functools.partial: Airflow deep-copies default_args into every task,
    and a partial would drag a copy of the whole spec along each time (a third of parse time).
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def __call__(self, context: Any) -> None:
        tasks.on_failure(self.spec, context)

    def __deepcopy__(self, memo: dict[int, Any]) -> FailureCallback:
        return self  # immutable in practice: the spec is never changed after build_dag


class MonitorOperator(BaseBranchOperator):
    """One monitoring check; follows ``retrain`` when the check asks for a retraining."""

    ui_color = "#fde9d9"

    def __init__(self, *, spec: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec

    def choose_branch(self, context: Any) -> str | None:
        return monitor_tasks.check(self.spec, context)


class RetrainOperator(StageOperator):
    """Records the retraining; on success Airflow emits the event of its outlet (the asset the
    training DAG is scheduled on), with the alert's evidence as the event's extra."""

    ui_color = "#d9f0fd"

    def execute(self, context: Any) -> dict[str, Any]:
        evidence = monitor_tasks.request_retraining(self.spec, context)
        for outlet in self.outlets:
            context["outlet_events"][outlet].extra.update(evidence)
        return evidence


def build_dag(source: str | dict[str, Any]) -> DAG:
    """The DAG described by ``source`` (the JSON text of a rendered file, or its dict)."""
    spec: dict[str, Any] = json.loads(source) if isinstance(source, str) else source
    if spec.get("format") not in SUPPORTED_FORMATS:
        raise ValueError(
            f"DAG spec format {spec.get('format')!r} is not supported by this stainless "
            f"(supports {sorted(SUPPORTED_FORMATS)}); re-render with `stainless dags render`"
        )
    if spec.get("kind", "train") == "monitor":
        return _monitor_dag(spec)
    params = {
        name: Param(param["default"], type="boolean", description=param["description"])
        for name, param in spec["params"].items()
    }
    with _new_dag(spec, _schedule(spec), params, _doc(spec)) as dag:
        built = {
            task_id: _task(spec, task_id, timedelta(seconds=task["execution_timeout_s"]))
            for task_id, task in spec["tasks"].items()
        }
        for upstream, downstream in spec["edges"]:
            built[upstream] >> built[downstream]
    return dag


def _monitor_dag(spec: dict[str, Any]) -> DAG:
    params = {
        name: Param(param["default"], type=["null", "string"], description=param["description"])
        for name, param in spec["params"].items()
    }
    timeout = timedelta(seconds=spec["max_runtime_s"])
    doc = (
        f"### {spec['model']}: monitoring\n\nGenerated by {spec['generator']}. Each run checks "
        "the production version's captured traffic (`stainless monitor`); see "
        'docs/monitoring.md. Trigger with `{"since": "6h"}` to check another window.'
    )
    with _new_dag(spec, spec["schedule"], params, doc) as dag:
        check = MonitorOperator(task_id="check", spec=spec, execution_timeout=timeout)
        if spec.get("retrain_asset"):
            check >> RetrainOperator(
                task_id=monitor_tasks.RETRAIN_TASK,
                spec=spec,
                execution_timeout=timeout,
                outlets=[_asset(spec["retrain_asset"])],
            )
    return dag


def _new_dag(spec: dict[str, Any], schedule: Any, params: dict[str, Param], doc: str) -> DAG:
    """What the training and the monitoring DAG share: identity, start, concurrency, retries."""
    return DAG(
        dag_id=spec["dag_id"],
        description=spec["description"],
        schedule=schedule,
        start_date=datetime.fromisoformat(spec["start_date"]),
        catchup=False,
        max_active_runs=spec["max_active_runs"],
        default_args=_default_args(spec),
        params=params,
        tags=spec["tags"],
        doc_md=doc,
    )


def _default_args(spec: dict[str, Any]) -> dict[str, Any]:
    retries = spec["retries"]
    return {
        "owner": spec["owner"],
        "retries": retries["retries"],
        "retry_delay": timedelta(seconds=retries["retry_delay_s"]),
        "retry_exponential_backoff": retries["backoff_multiplier"],
        "max_retry_delay": timedelta(seconds=retries["max_retry_delay_s"]),
        "on_failure_callback": FailureCallback(spec),
    }


def _asset(asset: dict[str, str]) -> Asset:
    return Asset(name=asset["name"], uri=asset["uri"], group=asset["group"])


def _schedule(spec: dict[str, Any]) -> Any:
    """model.yaml's schedule; with a retrain asset, that asset or the schedule's cron."""
    asset = spec.get("retrain_asset")  # absent in files rendered before monitoring existed
    if not asset:
        return spec["schedule"]
    if spec["schedule"] is None:
        return [_asset(asset)]
    # What Airflow makes of a plain cron string (the DAG's start_date is in UTC), plus the asset.
    cron = CronTriggerTimetable(spec["schedule"], timezone="UTC")
    return AssetOrTimeSchedule(timetable=cron, assets=[_asset(asset)])


def _task(spec: dict[str, Any], task_id: str, timeout: timedelta) -> BaseOperator:
    common: dict[str, Any] = {"task_id": task_id, "spec": spec, "execution_timeout": timeout}
    if task_id == "decide":
        return DecideOperator(**common)
    if task_id == "rollout":
        rollout = spec["rollout"]
        return RolloutSensor(
            mode="reschedule",
            poke_interval=rollout["poke_interval_s"],
            timeout=rollout["timeout_s"],
            **common,
        )
    if task_id == "finalize":
        return EndOperator(**common)
    if task_id == "not_promoted":
        return EndOperator(**common)
    return StageOperator(**common)


def _doc(spec: dict[str, Any]) -> str:
    config = spec["config"]
    return (
        f"### {spec['model']}\n\n{spec['description']}\n\n"
        f"Generated by {spec['generator']} (target `{spec['target']}`"
        f"{', env `' + spec['env'] + '`' if spec['env'] else ''}). Metric `{config['metric']}` "
        f"({config['direction']}); each stage is limited to {spec['max_runtime_s']} s.\n\n"
        "Manual runs: `skip_canary` promotes without a canary, `force_promote` deploys even a "
        "rejected candidate. Re-render with `stainless dags render`; do not edit the file."
    )
