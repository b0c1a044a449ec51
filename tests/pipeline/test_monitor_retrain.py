"""When a monitoring check starts a retraining: model.yaml's monitoring.retrain, the check's
alerts, and the cooldown kept in the store's monitoring state (on a real baked workspace)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from stainless.monitoring.drift import DriftResult, DriftSettings
from stainless.monitoring.quality import QualityResult
from stainless.pipeline.monitor_result import MonitorResult
from stainless.pipeline.monitor_retrain import (
    read_state,
    record_retrain,
    retrain_decision,
    write_state,
)
from stainless.workspace import open_workspace

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _result(drift: str = "drift", quality: str | None = None) -> MonitorResult:
    return MonitorResult(
        model="house-prices",
        version=1,
        run_id="run-1",
        checked_at=NOW,
        since=NOW - timedelta(hours=24),
        records=200,
        rows=200,
        first_seen=None,
        last_seen=None,
        drift=DriftResult(drift, DriftSettings(), 200),  # type: ignore[arg-type]
        result_key="k",
        report_key="r",
        report_url="u",
        alerted=True,
        quality=QualityResult(quality, "rmse", "minimize", 150, 1.0)  # type: ignore[arg-type]
        if quality
        else None,
    )


def _configure(project_dir: Path, retrain: dict) -> None:  # type: ignore[type-arg]
    path = project_dir / "model.yaml"
    config = yaml.safe_load(path.read_text())
    config["monitoring"] = {"retrain": retrain}
    path.write_text(yaml.safe_dump(config))


def test_off_by_default(bake) -> None:  # type: ignore[no-untyped-def]
    decision = retrain_decision(open_workspace(bake()), _result(), NOW)
    assert not decision.wanted and "enabled is false" in decision.reason
    assert decision.alerts == ("drift",)


def test_one_retraining_per_cooldown(bake) -> None:  # type: ignore[no-untyped-def]
    project_dir = bake()
    _configure(project_dir, {"enabled": True, "cooldown": "6h"})
    project = open_workspace(project_dir)
    assert not retrain_decision(project, _result("ok"), NOW).wanted  # no alert, no retraining
    write_state(project, last_alert=NOW.isoformat(), drifted=["area_sqm"])
    decision = retrain_decision(project, _result(), NOW)
    assert decision.wanted and decision.alerts == ("drift",) and decision.last_retrain is None
    record_retrain(project, NOW)
    assert read_state(project)["drifted"] == ["area_sqm"]  # the alert's record is kept
    later = retrain_decision(project, _result(), NOW + timedelta(hours=5, minutes=59))
    assert not later.wanted and "within the cooldown (6h)" in later.reason
    assert later.last_retrain == NOW
    assert retrain_decision(project, _result(), NOW + timedelta(hours=6)).wanted


def test_only_the_configured_alerts_start_one(bake) -> None:  # type: ignore[no-untyped-def]
    project_dir = bake()
    _configure(project_dir, {"enabled": True, "alerts": ["quality_drop"]})
    project = open_workspace(project_dir)
    assert not retrain_decision(project, _result("drift"), NOW).wanted
    dropped = retrain_decision(project, _result("ok", quality="dropped"), NOW)
    assert dropped.wanted and dropped.alerts == ("quality_drop",)


def test_a_damaged_state_file_does_not_stop_monitoring(bake) -> None:  # type: ignore[no-untyped-def]
    project = open_workspace(bake())
    project.store.put_bytes("monitoring/house-prices/state.json", b"{not json")
    assert read_state(project) == {}
