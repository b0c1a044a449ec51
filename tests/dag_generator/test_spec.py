"""The DAG spec is data: pinned by golden files (everything but the embedded model.yaml, which
is compared with the loader's own result)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from stainless.core.errors import ConfigError
from stainless.project.config import load_config

from dag_generator.spec import EDGES, TASK_IDS, build_spec

GOLDEN = Path(__file__).parent / "golden"


def _check_golden(name: str, spec: dict) -> None:
    comparable = {key: value for key, value in spec.items() if key != "config"}
    comparable["project_dir"] = comparable["project_dir"] and "<PROJECT>"
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(json.dumps(comparable, indent=2) + "\n")
    assert comparable == json.loads(path.read_text()), f"re-bless with UPDATE_GOLDEN=1 ({path})"


def test_local_spec_matches_golden(model_dir: Path) -> None:
    config = load_config(model_dir)
    spec = build_spec(config, "local")
    _check_golden("churn_risk_local.json", spec)
    assert spec["project_dir"] == str(model_dir.resolve())
    assert spec["config"] == json.loads(json.dumps(config.raw))


def test_aws_spec_matches_golden(model_dir: Path) -> None:
    config = load_config(model_dir, env="aws")
    spec = build_spec(
        config,
        "aws",
        image="123.dkr.ecr.eu-west-1.amazonaws.com/churn:abc",
        role_arn="arn:aws:iam::123:role/sm",
    )
    _check_golden("churn_risk_aws.json", spec)


def test_aws_instances_come_from_model_yaml_or_the_cheapest_fit(model_dir: Path) -> None:
    spec = build_spec(load_config(model_dir, env="aws"), "aws")
    tasks = spec["tasks"]
    assert tasks["preprocess"]["instance"]["instance_type"] == "ml.c5.xlarge"
    assert tasks["preprocess"]["instance"]["source"] == "model.yaml"
    # 4 vCPUs and 20 GiB: m5.2xlarge fits too, r5.xlarge is cheaper.
    assert tasks["train"]["instance"]["instance_type"] == "ml.r5.xlarge"
    assert tasks["train"]["runs_on"] == "sagemaker-training-job"
    assert tasks["evaluate"]["runs_on"] == "sagemaker-processing-job"
    assert tasks["decide"]["runs_on"] == "airflow-worker"
    # The job's stopping condition is max_runtime; the task also waits for provisioning.
    assert tasks["train"]["execution_timeout_s"] > spec["max_runtime_s"] == 45 * 60
    assert tasks["decide"]["execution_timeout_s"] == 45 * 60


def test_schedule_timeouts_and_graph_follow_model_yaml(model_dir: Path) -> None:
    spec = build_spec(load_config(model_dir), "local")
    assert spec["schedule"] == "0 3 * * 1"
    assert {task["execution_timeout_s"] for task in spec["tasks"].values()} == {45 * 60}
    assert list(spec["tasks"]) == list(TASK_IDS)
    assert [tuple(edge) for edge in spec["edges"]] == list(EDGES)
    assert spec["params"]["skip_canary"]["default"] is False


def test_retries_and_rollout_interval_can_be_overridden(model_dir: Path) -> None:
    spec = build_spec(load_config(model_dir), "local", retries=0, rollout_interval_s=5)
    assert spec["retries"]["retries"] == 0
    assert spec["rollout"]["poke_interval_s"] == 5


def test_unknown_target_is_explained(model_dir: Path) -> None:
    with pytest.raises(ConfigError, match="unknown DAG target 'gcp'"):
        build_spec(load_config(model_dir), "gcp")


def test_non_json_values_in_model_yaml_name_the_file_and_fix(model_dir: Path) -> None:
    path = model_dir / "model.yaml"
    path.write_text(path.read_text() + "params:\n  since: 2024-01-01\n")
    with pytest.raises(ConfigError) as caught:
        build_spec(load_config(model_dir), "local")
    assert "model.yaml" in caught.value.render()
    assert "quote dates" in caught.value.render()


def test_impossible_resources_on_aws_say_which_key(model_dir: Path) -> None:
    path = model_dir / "model.yaml"
    path.write_text(
        path.read_text().replace("{cpus: 4, memory_gb: 20}", "{cpus: 4, memory_gb: 4000}")
    )
    with pytest.raises(ConfigError, match="resources.train"):
        build_spec(load_config(model_dir, env="aws"), "aws")


def test_the_template_aws_dag_rolls_out_with_production_settings(bake) -> None:
    """rollout.local (seconds-long steps for a laptop) never reaches the aws DAG: its endpoint
    is SageMaker, so the sensor pokes at the production tick and waits the production deadline."""
    project = bake()
    local = build_spec(load_config(project), "local")
    aws = build_spec(load_config(project, env="aws"), "aws", image="img:1")
    assert local["rollout"]["poke_interval_s"] == 2
    assert aws["rollout"]["poke_interval_s"] == 60
    assert aws["rollout"]["timeout_s"] == 21600 + 3600


def test_monitoring_dag_spec_follows_model_yaml(model_dir: Path) -> None:
    from dag_generator.spec import build_monitor_spec

    spec = build_monitor_spec(load_config(model_dir), "local")
    assert spec["kind"] == "monitor" and spec["dag_id"] == "churn-risk.monitor"
    assert spec["schedule"] == "@hourly"  # the default
    assert spec["retrain_asset"] is None  # monitoring.retrain.enabled defaults to false
    assert build_spec(load_config(model_dir), "local")["retrain_asset"] is None
    path = model_dir / "model.yaml"
    path.write_text(
        path.read_text()
        + "monitoring:\n  schedule: '*/15 * * * *'\n  retrain: {enabled: true, cooldown: 12h}\n"
    )
    config = load_config(model_dir)
    spec = build_monitor_spec(config, "local", retries=0)
    assert spec["schedule"] == "*/15 * * * *" and spec["retries"]["retries"] == 0
    asset = {
        "name": "stainless.churn-risk.retrain",
        "uri": "stainless://churn-risk/retrain",
        "group": "stainless",
    }
    assert spec["retrain_asset"] == asset
    assert build_spec(config, "local")["retrain_asset"] == asset  # the training DAG's trigger


def test_a_once_schedule_cannot_be_combined_with_retraining(model_dir: Path) -> None:
    path = model_dir / "model.yaml"
    text = path.read_text().replace('schedule: "0 3 * * 1"', "schedule: '@once'")
    path.write_text(text + "monitoring:\n  retrain: {enabled: true}\n")
    with pytest.raises(ConfigError) as caught:
        build_spec(load_config(model_dir), "local")
    assert "schedule" in caught.value.render() and "schedule: null" in caught.value.render()
