"""What the monitoring DAG's tasks do, called the way Airflow calls them (spec + task context),
on a real baked model. The DAG itself under Airflow, asset events included, is in
test_airflow_monitor.py."""

from __future__ import annotations

import json
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from stainless.project.config import load_config
from stainless.workspace import open_workspace

from dag_generator import monitor_tasks
from dag_generator.spec import build_monitor_spec


def _context(run_id: str, since: str | None = None) -> dict[str, Any]:
    return {"dag_run": SimpleNamespace(run_id=run_id), "params": {"since": since}}


def test_check_before_any_promotion_does_nothing(bake) -> None:  # type: ignore[no-untyped-def]
    """The monitoring DAG runs hourly from its first render: without a production version the
    check succeeds with nothing to do, and the retrain task does not follow."""
    spec = build_monitor_spec(load_config(bake()), "local")
    assert monitor_tasks.check(spec, _context("scheduled__2026-01-01T00:00:00+00:00")) is None


def test_retrain_records_the_retraining_and_returns_the_evidence(bake) -> None:  # type: ignore[no-untyped-def]
    project_dir = bake()
    spec = build_monitor_spec(load_config(project_dir), "local")
    project = open_workspace(project_dir)
    alert = {
        "last_alert": "2026-03-01T10:00:00+00:00",
        "drifted": ["area_sqm"],
        "version": 3,
        "alerts": ["drift"],
        "result_key": "monitoring/house-prices/20260301T100000Z/result.json",
    }
    project.store.put_bytes("monitoring/house-prices/state.json", json.dumps(alert).encode())
    evidence = monitor_tasks.request_retraining(
        spec, _context("scheduled__2026-03-01T10:00:00+00:00")
    )
    assert evidence["model"] == "house-prices" and evidence["version"] == 3
    assert evidence["drifted"] == ["area_sqm"] and evidence["alerts"] == ["drift"]
    assert evidence["alert_at"] == alert["last_alert"]
    assert evidence["monitor_run_id"] == "scheduled__2026-03-01T10-00-00-00-00"
    state = json.loads(project.store.get_bytes("monitoring/house-prices/state.json"))
    assert state["last_retrain"] == evidence["requested_at"]  # the cooldown counts from here
    assert datetime.fromisoformat(state["last_retrain"]).tzinfo is not None
    assert state["drifted"] == ["area_sqm"]  # the alert's record is kept
