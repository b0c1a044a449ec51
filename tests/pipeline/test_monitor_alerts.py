"""One drift episode, one alert: hourly checks of a promoted model (a baked project, trained and
promoted once), each over an hour of captured traffic written in the server's capture format,
notifying the Slack stub through the real Slack client. The check's result reports the drift
every time; only what the team hears is de-duplicated (stainless.pipeline.monitor_alerts)."""

from __future__ import annotations

import html
import io
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from stainless.monitoring.drift import DriftResult, DriftSettings
from stainless.monitoring.episodes import Finding
from stainless.monitoring.quality import QualityResult
from stainless.monitoring.slo import DEFAULT_WINDOWS, BurnAlert, SloResult
from stainless.pipeline.monitor import run_monitor
from stainless.pipeline.monitor_alerts import claim, findings_of
from stainless.pipeline.monitor_result import MonitorResult
from stainless.pipeline.monitor_retrain import read_state
from stainless.pipeline.runner import run_lifecycle
from stainless.pipeline.stages.preprocess import load_split
from stainless.serving.records import CapturedRecord, capture_prefix, to_line
from stainless.workspace import Workspace, open_workspace
from stainless.workspace.layout import predictions_key
from support.slack import notify_through

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
FEATURES = ["area_sqm", "bedrooms", "age_years", "distance_km", "neighborhood"]


def test_what_a_check_says_per_alert_kind_and_what_it_cannot_judge() -> None:
    burn = BurnAlert(DEFAULT_WINDOWS[0], 20.0, 30.0, 0.02, 0.03)
    result = MonitorResult(
        model="house-prices", version=1, run_id="run-1", checked_at=T0, since=T0, records=0,
        rows=40, first_seen=None, last_seen=None,
        drift=DriftResult("insufficient_data", DriftSettings(), 40), result_key="k",
        report_key="r", report_url="u", alerted=True,
        quality=QualityResult("dropped", "rmse", "minimize", 150, 1.0),
        slo=SloResult("breached", 0.001, 200.0, (burn,), latency_breached=True),
    )  # fmt: skip
    assert findings_of(result) == [  # too few rows: drift is not judged at all
        Finding("quality_drop", True),
        Finding("slo_burn", True, ("page", "latency")),
    ]
    calm = replace(
        result,
        quality=replace(result.quality, status="insufficient_data"),
        slo=SloResult("no_traffic", 0.001, None),
    )
    assert findings_of(calm) == []


@pytest.fixture
def project_dir(bake) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    project_dir = bake()
    assert run_lifecycle(open_workspace(project_dir), "run-1", in_process=True).ok
    yield project_dir


def traffic(project: Workspace, at: datetime, **shift: float | str) -> None:
    """An hour of traffic ending at ``at``: every validation row once, with the version's own
    predictions of them; numbers shifted by N training standard deviations, categories set."""
    rows = load_split(project, "run-1", "validation")
    train = load_split(project, "run-1", "train")
    predicted = pd.read_parquet(io.BytesIO(project.store.get_bytes(predictions_key("run-1"))))
    for name, change in shift.items():
        if isinstance(change, str):
            rows[name] = change
        else:
            rows[name] = rows[name] + change * train[name].std()
    lines = b"".join(
        to_line(
            CapturedRecord(
                request_id=f"{at:%H%M}-{i}",
                captured_at=at - timedelta(minutes=59) + timedelta(seconds=i),
                request={k: row[k] for k in FEATURES},
                response={"prediction": float(predicted["candidate_pred"][i])},
                version="1",
                variant="v1",
            ),
            "house-prices",
            "json",
        )
        for i, (_, row) in enumerate(rows.iterrows())
    )
    project.store.put_bytes(
        f"{capture_prefix('house-prices', 1)}/{at:%Y-%m-%d}/{at:%H}.jsonl", lines
    )


def check(project_dir: Path, at: datetime, **shift: float | str):  # type: ignore[no-untyped-def]
    project = open_workspace(project_dir)
    traffic(project, at, **shift)
    return run_monitor(project, "1h", now=at)


def titles(stub) -> list[str]:  # type: ignore[no-untyped-def]
    return [html.unescape(m["text"]) for m in stub.messages]


@pytest.mark.integration
def test_one_episode_one_alert_new_columns_reminders_and_resolved(
    project_dir: Path, slack_stub, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    notify_through(slack_stub, monkeypatch)
    first = check(project_dir, T0, area_sqm=2.0)
    assert first.status == "drift" and first.drift.drifted == ["area_sqm"]
    assert first.notification is not None and first.notification.sent
    assert titles(slack_stub) == ["house-prices: Drift in v1 of house-prices: area_sqm"]

    # The same drift an hour later: reported, not sent again.
    same = check(project_dir, T0 + timedelta(hours=1), area_sqm=2.0)
    data = same.to_dict()
    assert data["status"] == "drift" and data["drifted"] == ["area_sqm"] and data["alerted"]
    assert data["notified"] is False
    [drift] = data["notification"]["alerts"]
    assert drift["action"] == "quiet" and "same episode" in drift["reason"]
    assert "next reminder after 2026-03-02 10:00 UTC" in drift["reason"]
    assert drift["episode_started_at"] == T0.isoformat()
    assert len(slack_stub.messages) == 1

    # A column that had not drifted joins: a new message, saying what is new.
    wider = check(project_dir, T0 + timedelta(hours=2), area_sqm=2.0, neighborhood="center")
    assert wider.drift.drifted == ["area_sqm", "neighborhood"] and wider.notification.sent
    assert titles(slack_stub)[1] == (
        "house-prices: Drift in v1 of house-prices: area_sqm, neighborhood "
        "(new: neighborhood; episode since 2026-03-01 10:00 UTC)"
    )
    check(project_dir, T0 + timedelta(hours=3), area_sqm=2.0, neighborhood="center")
    assert len(slack_stub.messages) == 2

    # alert_repeat (24h by default) after the last notification: a reminder.
    late = T0 + timedelta(hours=26)
    assert check(project_dir, late, area_sqm=2.0, neighborhood="center").notification.sent
    assert titles(slack_stub)[2].endswith("(still going since 2026-03-01 10:00 UTC)")

    # The drift is gone: one short resolved message, then silence.
    over = check(project_dir, late + timedelta(hours=1))
    assert over.status == "ok" and over.notification.sent
    resolved = slack_stub.messages[3]
    assert html.unescape(resolved["text"]) == "house-prices: Drift in v1 of house-prices is over"
    assert "area_sqm, neighborhood" in str(resolved["blocks"])
    assert "2026-03-01 10:00 UTC" in str(resolved["blocks"])  # when it began
    assert not check(project_dir, late + timedelta(hours=2)).notification.sent
    assert len(slack_stub.messages) == 4
    assert read_state(open_workspace(project_dir))["episodes"] == {}


@pytest.mark.integration
def test_a_repeat_of_zero_notifies_every_check_and_no_notify_leaves_episodes_alone(
    project_dir: Path, slack_stub, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    config_file = project_dir / "model.yaml"
    config = yaml.safe_load(config_file.read_text())
    config["monitoring"] = {"alert_repeat": 0}
    config_file.write_text(yaml.safe_dump(config))
    notify_through(slack_stub, monkeypatch)
    project = open_workspace(project_dir)
    traffic(project, T0, area_sqm=2.0)
    silent = run_monitor(project, "1h", now=T0, notify=False)
    assert silent.status == "drift" and silent.to_dict()["notification"]["reason"].endswith(
        "(--no-notify)"
    )
    assert "episodes" not in read_state(project) and not slack_stub.messages
    check(project_dir, T0 + timedelta(hours=1), area_sqm=2.0)
    check(project_dir, T0 + timedelta(hours=2), area_sqm=2.0)
    assert len(slack_stub.messages) == 2


@pytest.mark.integration
def test_two_overlapping_checks_announce_an_episode_once(project_dir: Path) -> None:
    """Both checks found the same new drift; the conditional write lets one of them claim it."""
    project = open_workspace(project_dir)
    traffic(project, T0, area_sqm=2.0)
    result = run_monitor(project, "1h", now=T0, notify=False)
    outcomes = []
    barrier = threading.Barrier(8)

    def race() -> None:
        barrier.wait()
        outcomes.append(claim(open_workspace(project_dir), result, T0))

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(n.sent for n in outcomes) == [False] * 7 + [True]
    state = read_state(project)
    assert state["episodes"]["drift"]["checks"] == 8  # no check's record was lost
    assert state["episodes"]["drift"]["started_at"] == T0.isoformat()
    assert state["drifted"] == ["area_sqm"] and state["alerts"] == ["drift"]
