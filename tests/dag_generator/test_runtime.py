"""The DAG a generated file builds, checked in Airflow's own objects. Airflow lives in its own
venv (.venv-airflow, `bash .ci/airflow-setup.sh`), so this module runs in two places: in the main
.venv, `test_runtime_passes_in_the_airflow_venv` runs it again under .venv-airflow's pytest;
there, the other tests build DAGs (no database, no scheduler: `airflow dags test` runs them end to
end in test_airflow.py).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
from pathlib import Path

import pytest
from stainless.project.config import load_config
from support.venv_suite import assert_passes_in_venv

from dag_generator.spec import build_spec

IN_AIRFLOW_VENV = importlib.util.find_spec("airflow") is not None
inside_venv = pytest.mark.skipif(
    not IN_AIRFLOW_VENV,
    reason="runs inside .venv-airflow (test_runtime_passes_in_the_airflow_venv runs it there)",
)


@pytest.mark.airflow
@pytest.mark.integration
@pytest.mark.skipif(IN_AIRFLOW_VENV, reason="the outer run, from the main venv")
def test_runtime_passes_in_the_airflow_venv(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STAINLESS_", "AIRFLOW", "PYTEST_"))
    }
    env.update(AIRFLOW_HOME=str(tmp_path / "airflow-home"), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    assert_passes_in_venv("airflow", __file__, tmp_path, env, min_passed=4, timeout=300)


@inside_venv
def test_the_graph_operators_and_defaults_follow_the_spec(model_dir: Path) -> None:
    from airflow.providers.standard.operators.branch import BaseBranchOperator

    from dag_generator.runtime import (
        DecideOperator,
        EndOperator,
        FailureCallback,
        RolloutSensor,
        StageOperator,
        build_dag,
    )

    spec = build_spec(load_config(model_dir), "local")
    dag = build_dag(spec)
    assert dag.dag_id == "churn-risk" and dag.max_active_runs == 1 and not dag.catchup
    tasks = dag.task_dict
    assert set(tasks) == set(spec["tasks"])
    assert {upstream: sorted(t.downstream_task_ids) for upstream, t in tasks.items()} == {
        upstream: sorted(d for u, d in spec["edges"] if u == upstream) for upstream in tasks
    }
    assert isinstance(tasks["decide"], DecideOperator)
    assert isinstance(tasks["decide"], BaseBranchOperator)
    assert type(tasks["finalize"]) is EndOperator and type(tasks["not_promoted"]) is EndOperator
    for stage in ("preprocess", "train", "evaluate", "deploy"):
        assert type(tasks[stage]) is StageOperator
        assert tasks[stage].execution_timeout.total_seconds() == 45 * 60
    sensor = tasks["rollout"]
    assert isinstance(sensor, RolloutSensor) and sensor.mode == "reschedule"
    assert sensor.poke_interval == spec["rollout"]["poke_interval_s"]
    assert sensor.timeout == spec["rollout"]["timeout_s"]
    train = tasks["train"]
    assert train.retries == spec["retries"]["retries"] and train.owner == "data-team"
    [callback] = train.on_failure_callback  # Airflow keeps a list
    assert isinstance(callback, FailureCallback) and callback.spec is spec
    assert set(dag.params.keys()) == set(spec["params"])
    assert "Metric `roc_auc` (maximize)" in dag.doc_md and "stainless dags render" in dag.doc_md


@inside_venv
def test_a_file_builds_the_same_dag_from_its_json_text(model_dir: Path) -> None:
    from dag_generator.runtime import build_dag

    spec = build_spec(load_config(model_dir), "local")
    from_text = build_dag(json.dumps(spec))
    assert from_text.dag_id == build_dag(spec).dag_id
    assert set(from_text.task_dict) == set(spec["tasks"])


@inside_venv
def test_a_spec_of_another_format_says_to_re_render(model_dir: Path) -> None:
    from dag_generator.runtime import build_dag

    spec = {**build_spec(load_config(model_dir), "local"), "format": 99}
    with pytest.raises(ValueError, match="format 99 is not supported.*stainless dags render"):
        build_dag(spec)


@inside_venv
def test_the_failure_callback_is_shared_not_copied_into_every_task() -> None:
    from dag_generator.runtime import FailureCallback

    callback = FailureCallback({"model": "churn-risk", "big": list(range(1000))})
    assert copy.deepcopy(callback) is callback
    assert copy.deepcopy({"on_failure_callback": callback})["on_failure_callback"] is callback
