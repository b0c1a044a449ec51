"""The DAG spec: everything a model's DAG needs, as plain JSON-compatible data.

This is what ``stainless dags render`` embeds in each DAG file (and what the golden tests pin).
:mod:`dag_generator.runtime` turns it into an Airflow DAG; nothing here imports Airflow.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from stainless import __version__
from stainless.backends.compute.instances import resolve_instance
from stainless.backends.compute.sagemaker import PROVISIONING_SLACK_S
from stainless.core.durations import parse_duration
from stainless.core.errors import ConfigError
from stainless.project.config import CONFIG_FILE, ModelConfig
from stainless.rollout.settings import effective_settings

SPEC_FORMAT = 1
TARGETS = ("local", "aws")
# Airflow task ids, in graph order. The pipeline stage each one calls has the same name.
TASK_IDS = (
    "preprocess",
    "train",
    "evaluate",
    "decide",
    "not_promoted",
    "deploy",
    "rollout",
    "finalize",
)
EDGES = (
    ("preprocess", "train"),
    ("train", "evaluate"),
    ("evaluate", "decide"),
    ("decide", "not_promoted"),
    ("decide", "deploy"),
    ("deploy", "rollout"),
    ("rollout", "finalize"),
)
# Which resources block of model.yaml sizes each SageMaker job (evaluate is light, like
# preprocess; the same mapping `stainless run` uses locally).
STAGE_RESOURCES = {"preprocess": "preprocess", "train": "train", "evaluate": "preprocess"}
SAGEMAKER_JOBS = {"preprocess": "processing", "train": "training", "evaluate": "processing"}
# A fixed start in the past: with catchup off, Airflow schedules from now on; a moving
# start_date (e.g. "today") is an Airflow anti-pattern that confuses the scheduler.
START_DATE = "2024-01-01T00:00:00+00:00"
RETRIES = {"retries": 2, "retry_delay_s": 60, "backoff_multiplier": 2.0, "max_retry_delay_s": 1800}
ROLLOUT = {"poke_interval_s": 300, "timeout_s": 3 * 86400}
PARAMS = {
    "skip_canary": {
        "default": False,
        "description": "Promote without a canary: an approved candidate "
        "is deployed with all traffic at once (the rollout ends at its first look).",
    },
    "force_promote": {
        "default": False,
        "description": "Follow the deploy branch even if "
        "decide rejected the candidate (an announced manual override).",
    },
}

MONITOR_PARAMS = {
    "since": {
        "default": None,
        "description": "Traffic to check: a duration back from now (6h, 2d) or an ISO time "
        "(default: monitoring.window).",
    },
}
# Schedules that are not a timetable of their own and cannot be combined with an asset.
NOT_CRON = ("@once", "@continuous")


def build_spec(
    config: ModelConfig,
    target: str = "local",
    *,
    image: str | None = None,
    role_arn: str | None = None,
    output_uri: str | None = None,
    retries: int | None = None,
    rollout_interval_s: int | None = None,
) -> dict[str, Any]:
    """The spec of ``config``'s DAG for ``target`` (``local`` or ``aws``)."""
    retry_policy = _retry_policy(target, retries)
    rollout = dict(ROLLOUT)
    # The sensor looks as often as model.yaml's rollout.tick_seconds and gives up a little after
    # the rollout's own deadline (by then the state machine has decided on its own).
    settings = effective_settings(config)
    rollout["poke_interval_s"] = max(1, int(parse_duration(settings.get("tick_seconds", 60))))
    rollout["timeout_s"] = int(
        parse_duration(settings.get("max_duration_seconds", 6 * 3600)) + 3600
    )
    if rollout_interval_s is not None:
        rollout["poke_interval_s"] = max(1, int(rollout_interval_s))
    max_runtime_s = int(config.max_runtime_seconds)
    tasks: dict[str, dict[str, Any]] = {}
    for task_id in TASK_IDS:
        task: dict[str, Any] = {"runs_on": "airflow-worker", "execution_timeout_s": max_runtime_s}
        if target == "aws" and task_id in SAGEMAKER_JOBS:
            block = STAGE_RESOURCES[task_id]
            kind = SAGEMAKER_JOBS[task_id]
            task["runs_on"] = f"sagemaker-{kind}-job"
            task["instance"] = resolve_instance(
                config.resources_for(block), kind, key=f"resources.{block}"
            )
            # The job's own stopping condition is max_runtime; the task also waits for the
            # instance to be provisioned and the image pulled.
            task["execution_timeout_s"] = max_runtime_s + PROVISIONING_SLACK_S
        tasks[task_id] = task
    return {
        "format": SPEC_FORMAT,
        "generator": f"stainless {__version__}",
        "dag_id": config.name,
        "model": config.name,
        "owner": config["owner"],
        "description": config["description"] or f"Train, evaluate and roll out {config.name}",
        "target": target,
        "env": config.env,
        "project_dir": str(config.project_dir) if target == "local" else None,
        "schedule": config["schedule"],
        "start_date": START_DATE,
        "max_active_runs": 1,  # two runs of one model would race to deploy
        "tags": ["stainless", config.name, target],
        "max_runtime_s": max_runtime_s,
        "retries": retry_policy,
        "rollout": rollout,
        "params": copy.deepcopy(PARAMS),
        "tasks": tasks,
        "edges": [list(edge) for edge in EDGES],
        "aws": {"image": image, "role_arn": role_arn, "output_uri": output_uri}
        if target == "aws"
        else None,
        # Monitoring may start a retraining: the DAG is scheduled on this asset as well.
        "retrain_asset": retrain_asset(config),
        "config": json_config(config),
    }


def retrain_asset(config: ModelConfig) -> dict[str, str] | None:
    """The Airflow asset the monitoring DAG updates to start a retraining (None: it never
    does, with monitoring.retrain.enabled false)."""
    retrain = config.raw.get("monitoring", {}).get("retrain", {})
    if not retrain.get("enabled", False):
        return None
    if config["schedule"] in NOT_CRON:
        raise ConfigError(
            f"schedule {config['schedule']!r} cannot be combined with retraining on alerts",
            file=CONFIG_FILE,
            key="schedule",
            expected="a cron expression, a preset like @daily, or null",
            fix="set schedule: null (retrain only on alerts and by hand) or a cron expression, "
            "or monitoring.retrain.enabled: false",
        )
    return {
        "name": f"stainless.{config.name}.retrain",
        "uri": f"stainless://{config.name}/retrain",
        "group": "stainless",
    }


def build_monitor_spec(
    config: ModelConfig, target: str = "local", *, retries: int | None = None
) -> dict[str, Any]:
    """The spec of ``config``'s monitoring DAG: one check per ``monitoring.schedule``, then,
    when the check asks for it, the asset event that schedules the training DAG."""
    retry_policy = _retry_policy(target, retries)
    monitoring = config.raw.get("monitoring", {})
    return {
        "format": SPEC_FORMAT,
        "kind": "monitor",
        "generator": f"stainless {__version__}",
        "dag_id": monitor_dag_id(config.name),
        "model": config.name,
        "owner": config["owner"],
        "description": f"Watch {config.name} in production: drift, live quality, SLOs",
        "target": target,
        "env": config.env,
        "project_dir": str(config.project_dir) if target == "local" else None,
        "schedule": monitoring.get("schedule", "@hourly"),
        "start_date": START_DATE,
        "max_active_runs": 1,  # two checks at once would both see the cooldown as over
        "tags": ["stainless", config.name, target, "monitoring"],
        "max_runtime_s": int(config.max_runtime_seconds),
        "retries": retry_policy,
        "params": copy.deepcopy(MONITOR_PARAMS),
        "retrain_asset": retrain_asset(config),
        "aws": {"image": None, "role_arn": None, "output_uri": None} if target == "aws" else None,
        "config": json_config(config),
    }


def monitor_dag_id(model: str) -> str:
    """``house-prices`` -> ``house-prices.monitor`` (model names hold no dots: no clash)."""
    return f"{model}.monitor"


def json_config(config: ModelConfig) -> dict[str, Any]:
    """model.yaml with defaults filled, checked to survive a JSON round trip unchanged
    (YAML dates or other objects would not be plain data in the DAG file)."""
    try:
        text = json.dumps(config.raw, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"holds a value that is not plain data ({exc})",
            file=CONFIG_FILE,
            expected="strings, numbers, booleans, lists and mappings",
            fix="quote dates and other special values, e.g. since: '2024-01-01'",
        ) from None
    return json.loads(text)


def _retry_policy(target: str, retries: int | None) -> dict[str, Any]:
    """Checks ``target`` and gives the task retry policy (``retries`` overrides the count)."""
    if target not in TARGETS:
        raise ConfigError(
            f"unknown DAG target {target!r}", key="--target", expected=" or ".join(TARGETS)
        )
    retry_policy = dict(RETRIES)
    if retries is not None:
        retry_policy["retries"] = max(0, int(retries))
    return retry_policy
