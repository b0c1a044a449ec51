"""stainless.pipeline.monitor_quality: live labels from the data source, the model's metric on
them against validation, and the alert (the whole check runs in tests/pipeline/test_monitor.py)."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from stainless.backends.notify.background import flush_notifications
from stainless.core.errors import ConfigError
from stainless.monitoring.drift import DriftResult, DriftSettings
from stainless.pipeline.monitor_quality import labels_by_request, quality_alert, quality_of
from stainless.pipeline.monitor_result import MonitorResult
from stainless.workspace import Workspace, open_workspace
from support.slack import message_fields, notify_through

LABELS = (
    "SELECT 'r' || CAST(row_number() OVER () AS VARCHAR) AS request_id, price AS label FROM houses"
)


@pytest.fixture
def project(bake: Callable[..., Path]) -> Workspace:
    return open_workspace(bake())


def test_labels_come_from_the_configured_query_by_request_id(project: Workspace):
    assert labels_by_request(project, None) is None  # no labels_query: no quality check
    labels = labels_by_request(project, LABELS)
    assert labels is not None and len(labels) > 100
    assert isinstance(labels["r1"], float)
    with pytest.raises(ConfigError) as refused:
        labels_by_request(project, "SELECT price FROM houses")
    assert refused.value.key == "monitoring.quality.labels_query"
    assert "(it returned price)" in refused.value.message
    assert "AS request_id" in (refused.value.fix or "")


def test_live_rmse_far_above_validation_is_a_drop(project: Workspace):
    truth = [100.0 + i for i in range(120)]
    close = [(t, t + 1.0, None) for t in truth]
    off = [(t, t + 50.0, None) for t in truth]
    section = {"min_labels": 100}
    ok = quality_of(project, {"rmse": 1.0}, close, section)
    assert (ok.status, ok.metric, ok.labels) == ("ok", "rmse", 120)
    assert ok.live_value == pytest.approx(1.0)
    dropped = quality_of(project, {"rmse": 1.0}, off, section)
    assert dropped.status == "dropped" and dropped.live_value == pytest.approx(50.0)
    accepted = quality_of(project, {"rmse": 1.0}, off, {"min_labels": 100, "tolerance": 60})
    assert accepted.status == "ok"  # a drop within the tolerance is accepted
    few = quality_of(project, {"rmse": 1.0}, off[:10], section)
    assert few.status == "insufficient_data" and "min_labels" in few.reason


def test_a_drop_alerts_with_the_interval_and_the_report(
    bake: Callable[..., Path], slack_stub, monkeypatch: pytest.MonkeyPatch
):
    notify_through(slack_stub, monkeypatch)
    project = open_workspace(bake())
    truth = [100.0 + i for i in range(120)]
    quality = quality_of(project, {"rmse": 1.0}, [(t, t + 50.0, None) for t in truth], {})
    result = MonitorResult(
        model=project.name, version=2, run_id="run-2", checked_at=datetime.now(UTC),
        since=datetime.now(UTC), records=120, rows=120, first_seen=None, last_seen=None,
        drift=DriftResult("ok", DriftSettings(), 120), result_key="k.json", report_key="k.html",
        report_url="https://reports.example/k.html", alerted=False,
    )  # fmt: skip
    quality_alert(project, replace(result, quality=quality), quality)
    flush_notifications(project.notifier, timeout_s=10)
    [message] = slack_stub.messages
    assert html.unescape(message["text"]).endswith("rmse of v2 dropped on live traffic")
    fields = message_fields(message)
    assert "*Labelled rows*\n120" in fields
    assert any(f.startswith("*95% interval*\n[") for f in fields), fields
    assert any("https://reports.example/k.html" in f for f in fields)
