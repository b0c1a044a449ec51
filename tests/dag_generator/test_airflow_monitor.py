"""The monitoring DAG under real Apache Airflow 3 (.venv-airflow, driven through subprocesses):
a promoted model served by the local endpoint, real traffic replayed through it, and
`airflow dags test MODEL.monitor` on SQLite. What the DAG did is read back from Airflow's own
metadata database: the asset events, the training DAG's queued asset event, the task states.

One test (~1.5 min: one trained model, one migrated database, three DAG runs): an unchanged
replay starts no retraining; a shifted one emits the asset event that queues the training DAG;
the next alert, within the cooldown, emits none.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.airflow import airflow_bin, clean_env, probe, render
from support.served_project import promoted, replay, stainless

pytestmark = [pytest.mark.airflow, pytest.mark.integration]
REPLAY = 160  # every validation row of the template's data once
ASSET = "stainless://house-prices/retrain"


@pytest.fixture
def project_dir(bake) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    airflow_bin("airflow")  # skip before training when Airflow is not set up
    serving = {"capture_sample_rate": 1.0, "capture_flush_seconds": 0.2}
    monitoring = {"drift": {"min_rows": 100}, "retrain": {"enabled": True, "cooldown": "1h"}}
    with promoted(bake(), serving=serving, monitoring=monitoring) as project_dir:
        yield project_dir


class Airflow:
    """One AIRFLOW_HOME with a SQLite metadata database and the rendered DAGs folder."""

    def __init__(self, home: Path, dags: Path) -> None:
        self.home = home
        self.env = clean_env(
            AIRFLOW_HOME=str(home),
            AIRFLOW__CORE__DAGS_FOLDER=str(dags),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
        )

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            [str(airflow_bin("airflow")), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, output[-5000:]
        return output

    def monitor(self, *args: str) -> tuple[dict[str, str], str]:
        """`airflow dags test house-prices.monitor`: the state of each task, and the log."""
        output = self("dags", "test", "house-prices.monitor", *args)
        match = re.search(
            r"DagRun Finished: dag_id=house-prices\.monitor, .*?run_id=([^,]+),", output
        )
        assert match, output[-5000:]
        rows = self.query(
            "select task_id, state from task_instance where dag_id = ? and run_id = ?",
            "house-prices.monitor",
            match.group(1),
        )
        return dict(rows), output

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.home / "airflow.db") as db:
            return db.execute(sql, args).fetchall()

    def events(self) -> list[dict[str, Any]]:
        rows = self.query(
            "select e.extra from asset_event e join asset a on a.id = e.asset_id "
            "where a.uri = ? order by e.id",
            ASSET,
        )
        return [json.loads(extra) for (extra,) in rows]

    def queued(self) -> list[str]:
        rows = self.query(
            "select q.target_dag_id from asset_dag_run_queue q join asset a "
            "on a.id = q.asset_id where a.uri = ?",
            ASSET,
        )
        return [dag_id for (dag_id,) in rows]


def test_monitoring_dag_emits_one_retraining_asset_event_per_drift_episode(
    project_dir: Path, tmp_path: Path
) -> None:
    dags = tmp_path / "dags"
    render([project_dir], dags, "--retries", "0")
    found = probe(dags, tmp_path / "probe-home")
    assert found["import_errors"] == {} and found["warnings"] == []
    assert found["socket_attempts"] == [] and found["heavy_modules"] == []
    training, monitoring = found["dags"]["house-prices"], found["dags"]["house-prices.monitor"]
    # The training DAG runs on its cron or on the monitoring DAG's asset, whichever comes first.
    assert training["timetable"] == "AssetOrTimeSchedule"
    assert monitoring["schedule"] == "@hourly"
    assert monitoring["tasks"]["check"]["downstream"] == ["retrain"]
    assert monitoring["tasks"]["retrain"]["outlets"] == [ASSET]

    airflow = Airflow(tmp_path / "airflow-home", dags)
    airflow("db", "migrate")
    # The scheduler would register both DAGs (and the training DAG as the asset's consumer);
    # a consumer must be unpaused for an asset event to queue its run.
    airflow("dags", "reserialize")
    airflow("dags", "unpause", "house-prices")
    stainless("endpoint", "up", "-C", str(project_dir))

    replay(project_dir, REPLAY)
    states, output = airflow.monitor()
    assert states == {"check": "success", "retrain": "skipped"}, output[-3000:]
    assert "no alert that asks for a retraining" in output
    assert airflow.events() == [] and airflow.queued() == []

    time.sleep(0.01)
    shifted_at = datetime.now(UTC).isoformat()
    replay(project_dir, REPLAY, "area_sqm=+2sd", "neighborhood=center")
    states, output = airflow.monitor("--conf", json.dumps({"since": shifted_at}))
    assert states == {"check": "success", "retrain": "success"}, output[-3000:]
    [event] = airflow.events()
    assert event["drifted"] == ["area_sqm", "neighborhood"] and event["alerts"] == ["drift"]
    assert event["version"] == 1 and event["model"] == "house-prices"
    assert airflow.queued() == ["house-prices"]  # the training DAG's run is due
    state = json.loads(
        (project_dir / ".stainless/store/monitoring/house-prices/state.json").read_text()
    )
    assert state["last_retrain"] == event["requested_at"]
    assert state["last_alert"] == event["alert_at"]

    # The drift goes on: the next check alerts again, within the cooldown: no second retraining.
    states, output = airflow.monitor("--conf", json.dumps({"since": shifted_at}))
    assert states == {"check": "success", "retrain": "skipped"}, output[-3000:]
    assert "within the cooldown (1h)" in output
    assert len(airflow.events()) == 1
