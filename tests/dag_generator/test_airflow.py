"""Generated DAGs under real Apache Airflow 3, which lives in its own venv (.venv-airflow,
made by `bash .ci/airflow-setup.sh`). These tests run in the main venv and drive that venv
through subprocesses: `airflow_probe.py` loads DAG folders with DagBag, and `airflow dags test`
runs a DAG end to end on SQLite in a throw-away AIRFLOW_HOME.

Skipped when .venv-airflow is absent, unless STAINLESS_REQUIRE_AIRFLOW=1 (CI), where they fail.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support.airflow import airflow_bin as _airflow_bin
from support.airflow import clean_env as _clean_env
from support.airflow import probe as _probe
from support.airflow import render as _render

pytestmark = [pytest.mark.airflow, pytest.mark.integration]
STAGE_TASKS = ("preprocess", "train", "evaluate", "decide")
EXPECTED_DOWNSTREAM = {
    "preprocess": ["train"],
    "train": ["evaluate"],
    "evaluate": ["decide"],
    "decide": ["deploy", "not_promoted"],
    "not_promoted": [],
    "deploy": ["rollout"],
    "rollout": ["finalize"],
    "finalize": [],
}


def test_rendered_dags_load_in_airflow_with_the_right_shape(bake, tmp_path: Path) -> None:
    projects = [
        bake(model_name="House Prices", schedule="@daily", max_runtime="30m"),
        bake(model_name="Churn Risk", metric="roc_auc", schedule="none", max_runtime="2h"),
        bake(
            model_name="Fraud Flags",
            metric="f1",
            schedule="0 6 * * 1-5",
            promotion_criterion="bootstrap_95",
            train_cpus="4",
            train_memory_gb="20",
        ),
    ]
    local, aws = tmp_path / "dags-local", tmp_path / "dags-aws"
    _render(projects, local, "--target", "local")
    _render(projects, aws, "--target", "aws", "--image", "img:1")
    home = tmp_path / "airflow-home"
    for folder, target in ((local, "local"), (aws, "aws")):
        found = _probe(folder, home)
        assert found["import_errors"] == {}
        assert found["warnings"] == [] and found["captured_warnings"] == {}
        # Parse-time hygiene: no network, nothing heavy (pandas, scikit-learn, boto3, ...).
        assert found["socket_attempts"] == []
        assert found["heavy_modules"] == []
        models = ["churn-risk", "fraud-flags", "house-prices"]
        assert sorted(found["dags"]) == sorted([*models, *(f"{m}.monitor" for m in models)])
        for model in models:  # each model's monitoring DAG: one check, hourly by default
            monitor = found["dags"][f"{model}.monitor"]
            assert monitor["schedule"] == "@hourly" and monitor["params"] == {"since": None}
            assert list(monitor["tasks"]) == ["check"]  # monitoring.retrain is off by default
            assert monitor["tasks"]["check"]["has_failure_callback"]
        for dag_id, dag in found["dags"].items():
            if dag_id.endswith(".monitor"):
                continue
            tasks = dag["tasks"]
            assert {t: tasks[t]["downstream"] for t in tasks} == EXPECTED_DOWNSTREAM, dag_id
            assert dag["catchup"] is False and dag["max_active_runs"] == 1
            assert dag["params"] == {"skip_canary": False, "force_promote": False}
            assert target in dag["tags"]
            assert tasks["rollout"]["operator"] == "RolloutSensor"
            assert tasks["rollout"]["mode"] == "reschedule"
            assert tasks["finalize"]["trigger_rule"] == "all_success"
            for task in tasks.values():
                assert task["retries"] == 2 and task["retry_exponential_backoff"] == 2.0
                assert task["has_failure_callback"]
        dags = found["dags"]
        assert dags["house-prices"]["schedule"] == "@daily"
        assert dags["churn-risk"]["schedule"] is None
        assert dags["fraud-flags"]["schedule"] == "0 6 * * 1-5"
        assert dags["house-prices"]["tasks"]["decide"]["execution_timeout_s"] == 1800
        assert dags["churn-risk"]["tasks"]["decide"]["execution_timeout_s"] == 7200
        train_timeout = dags["house-prices"]["tasks"]["train"]["execution_timeout_s"]
        # aws: the SageMaker job is stopped at max_runtime; the task also waits for provisioning
        assert train_timeout == (1800 if target == "local" else 1800 + 30 * 60)


@pytest.fixture(scope="module")
def airflow_run(tmp_path_factory: pytest.TempPathFactory):  # -> Iterator[Callable]
    """A model repository, its DAG (no retries: a failing task fails now), and a migrated
    SQLite Airflow database; yields a function running `airflow dags test` once."""
    from cookiecutter.main import cookiecutter
    from stainless.project.template import template_dir

    base = tmp_path_factory.mktemp("airflow-e2e")
    project = Path(cookiecutter(str(template_dir()), no_input=True, output_dir=str(base)))
    dags = base / "dags"
    _render([project], dags, "--retries", "0", "--rollout-interval", "1")
    env = _clean_env(
        AIRFLOW_HOME=str(base / "airflow-home"),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
    )
    airflow = str(_airflow_bin("airflow"))
    migrate = subprocess.run(
        [airflow, "db", "migrate"], env=env, capture_output=True, text=True, timeout=600
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]

    def dags_test(*args: str) -> tuple[int, str, str]:
        done = subprocess.run(
            [airflow, "dags", "test", "house-prices", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        output = done.stdout + done.stderr
        match = re.search(r"DagRun Finished: dag_id=house-prices, .*?run_id=([^,]+),", output)
        assert match, output[-5000:]
        return done.returncode, output, match.group(1)

    dags_test.project = project  # type: ignore[attr-defined]
    yield dags_test
    # A promoted version is served by the project's local endpoint: stop it with the tests.
    subprocess.run(
        [sys.executable, "-m", "stainless", "endpoint", "down", "-C", str(project)],
        env=_clean_env(),
        capture_output=True,
        timeout=120,
    )


def _versions(project: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "stainless", "versions", "--json", "-C", str(project)],
        capture_output=True,
        text=True,
        env=_clean_env(),
        check=True,
    )
    return json.loads(done.stdout)


def _marker(project: Path, airflow_run_id: str, stage: str) -> dict[str, Any] | None:
    from stainless.core.ids import sanitize_run_id

    path = project / ".stainless/store/runs" / sanitize_run_id(airflow_run_id) / "stages"
    file = path / f"{stage}.json"
    return json.loads(file.read_text()) if file.exists() else None


def test_dags_test_trains_evaluates_and_promotes(airflow_run) -> None:
    project = airflow_run.project
    returncode, output, run_id = airflow_run()
    assert returncode == 0, output[-5000:]
    for stage in STAGE_TASKS:
        assert _marker(project, run_id, stage) is not None, f"{stage} did not complete"
    assert _marker(project, run_id, "decide")["action"] == "promote"
    [version] = _versions(project)
    assert version["status"] == "production"
    assert version["run_id"] == _marker(project, run_id, "train")["run_id"]
    assert returncode == 0, output[-5000:]
    # The first version has nothing to be compared with: deployed with all traffic, the
    # rollout sensor sees it promoted at its first poke, finalize makes it production.
    assert _marker(project, run_id, "deploy")["deployed"] is True
    assert _marker(project, run_id, "finalize")["outcome"] == "promoted"
    assert "finished: promoted" in output
    # The run's report and costs are kept with it (the not_promoted path writes one too).
    run_dir = project / ".stainless/store/runs" / _marker(project, run_id, "train")["run_id"]
    assert "promoted" in (run_dir / "report.html").read_text()
    assert sorted(p.stem for p in (run_dir / "cost").glob("*.json")) == [
        "decide",
        "evaluate",
        "preprocess",
        "train",
    ]


def test_a_run_without_improvement_stops_as_not_promoted(airflow_run) -> None:
    project = airflow_run.project
    if not any(v["status"] == "production" for v in _versions(project)):
        airflow_run()  # the first run promotes; this test needs a production version
    returncode, output, run_id = airflow_run()
    assert returncode == 0, output[-5000:]  # the whole DAG run succeeded
    assert _marker(project, run_id, "decide")["action"] == "reject"
    assert f"Run {_marker(project, run_id, 'decide')['run_id']} finished: not promoted" in output
    run_dir = project / ".stainless/store/runs" / _marker(project, run_id, "decide")["run_id"]
    assert "not promoted" in (run_dir / "report.html").read_text()
    statuses = sorted(v["status"] for v in _versions(project))
    assert statuses.count("rejected") >= 1 and statuses.count("production") == 1


def test_forced_promotion_without_canary(airflow_run) -> None:
    project = airflow_run.project
    if not any(v["status"] == "production" for v in _versions(project)):
        airflow_run()
    returncode, output, run_id = airflow_run(
        "--conf", json.dumps({"skip_canary": True, "force_promote": True})
    )
    assert returncode == 0, output[-5000:]
    assert _marker(project, run_id, "decide")["action"] == "reject"  # same data: no better
    assert _marker(project, run_id, "deploy")["state"] == "promoted"  # all traffic at once
    assert _marker(project, run_id, "finalize")["outcome"] == "promoted"
    production = [v for v in _versions(project) if v["status"] == "production"]
    assert [v["run_id"] for v in production] == [_marker(project, run_id, "train")["run_id"]]


CONNECTIONS_SCRIPT = """
import hashlib, json, os
from dag_generator import tasks
names = tasks.connections_to_env()
print(json.dumps({
    "set": names,
    "sha256": {n: hashlib.sha256(os.environ[n].encode()).hexdigest() for n in names},
    "user": os.environ.get("SNOWFLAKE_USER"),
}))
"""


def test_airflow_connections_become_the_task_environment(tmp_path: Path) -> None:
    """At task run time the stainless_* connections (here from Airflow's environment-variable
    secrets backend) fill the variables the backends read; a variable already set wins and
    undefined connections are skipped. Only names are logged."""
    import hashlib

    password, token = "pw-from-an-airflow-connection", "xoxb-from-an-airflow-connection"
    env = _clean_env(
        AIRFLOW_HOME=str(tmp_path / "airflow-home"),
        AIRFLOW_CONN_STAINLESS_SNOWFLAKE=json.dumps(
            {"conn_type": "snowflake", "login": "ML_BOT", "password": password}
        ),
        AIRFLOW_CONN_STAINLESS_SLACK=json.dumps({"conn_type": "slack", "password": token}),
        SNOWFLAKE_USER="already-set",
    )
    env.pop("SNOWFLAKE_PASSWORD", None)
    env.pop("SLACK_BOT_TOKEN", None)
    env.pop("SLACK_WEBHOOK_URL", None)
    done = subprocess.run(
        [str(_airflow_bin("python")), "-c", CONNECTIONS_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(found["set"]) == ["SLACK_BOT_TOKEN", "SNOWFLAKE_PASSWORD"]
    assert found["user"] == "already-set"
    assert found["sha256"] == {
        "SNOWFLAKE_PASSWORD": hashlib.sha256(password.encode()).hexdigest(),
        "SLACK_BOT_TOKEN": hashlib.sha256(token.encode()).hexdigest(),
    }
    logs = done.stdout + done.stderr
    assert "from Airflow connections: SLACK_BOT_TOKEN, SNOWFLAKE_PASSWORD" in logs
    assert password not in logs and token not in logs
