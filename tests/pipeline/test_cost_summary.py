"""stainless.pipeline.cost_summary: which recorded costs fall in a window (`stainless cost`,
this month for `stainless status`, one UTC day for the digest), and the digest people read.
The figures of a real run are checked in tests/pipeline/test_cost.py."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from stainless.pipeline.cost import BILLABLE, NOTIONAL, StageCost, record_stage_cost
from stainless.pipeline.cost_summary import cost_summary, day_cost, month_cost, send_daily_digest
from stainless.workspace import Workspace, open_workspace
from support.slack import message_fields, notify_through

PRICES = "test prices"


def at(day: int, hour: int = 12, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def record(project: Workspace, run_id: str, stage: str, usd: float, when: datetime,
           basis: str = BILLABLE) -> None:  # fmt: skip
    record_stage_cost(
        project.store,
        StageCost(run_id, stage, 60.0, "ml.m5.xlarge", usd * 60, usd, basis, PRICES,
                  when.isoformat()),
    )  # fmt: skip


@pytest.fixture
def project(bake: Callable[..., Path]) -> Workspace:
    workspace = open_workspace(bake())
    record(workspace, "run-feb", "train", 5.0, at(27, month=2))
    record(workspace, "run-a", "preprocess", 0.5, at(9, 23))
    record(workspace, "run-a", "train", 1.25, at(10, 0))  # a run counts on its last stage's day
    record(workspace, "run-b", "train", 2.0, at(10, 18), basis=NOTIONAL)
    record(workspace, "run-c", "train", 4.0, at(11, 1))
    return workspace


def test_a_window_holds_the_runs_whose_last_stage_fell_in_it(project: Workspace):
    summary = cost_summary(project, since_s=24 * 3600, now=at(11, 12).timestamp())
    assert [run.run_id for run in summary.runs] == ["run-b", "run-c"]
    assert summary.runs_usd == 6.0 and summary.usd == 6.0 and summary.endpoint_usd == 0.0
    assert summary.notional  # run-b was priced notionally
    assert summary.since == "2026-03-10T12:00:00+00:00"
    assert summary.until == "2026-03-11T12:00:00+00:00"


def test_one_utc_day_and_this_month(project: Workspace):
    day = day_cost(project, date(2026, 3, 10))
    assert [run.run_id for run in day.runs] == ["run-a", "run-b"]
    assert day.runs_usd == 3.75  # both of run-a's stages, though one was on the 9th
    month = month_cost(project, now=at(20).timestamp())
    assert [run.run_id for run in month.runs] == ["run-a", "run-b", "run-c"]
    assert month.since == "2026-03-01T00:00:00+00:00"
    data = month.to_dict()
    assert data["usd"] == 7.75 and data["notional"] is True and len(data["runs"]) == 3


def test_a_day_of_billed_runs_only_is_not_notional(project: Workspace):
    summary = day_cost(project, date(2026, 3, 11))
    assert [run.run_id for run in summary.runs] == ["run-c"]
    assert not summary.notional


def test_the_digest_posts_the_day_to_the_team(
    bake: Callable[..., Path], slack_stub, monkeypatch: pytest.MonkeyPatch
):
    notify_through(slack_stub, monkeypatch)
    project = open_workspace(bake())
    record(project, "run-x", "train", 1.5, at(10, 9))
    record(project, "run-y", "train", 0.25, at(10, 10), basis=NOTIONAL)
    summary = send_daily_digest(project, date(2026, 3, 10))
    assert summary.usd == 1.75
    # Delivered before it returns: a digest is a one-shot command.
    [message] = [m for m in slack_stub.messages if "Cost on" in m.get("text", "")]
    assert html.unescape(message["text"]).endswith("Cost on 2026-03-10: $1.75 (notional)")
    fields = message_fields(message)
    assert fields == [
        "*Runs*\n2",
        "*Runs cost*\n$1.75 (notional)",
        "*Endpoint cost*\n$0.0000",  # no endpoint ran that day: no variants field either
        f"*Prices*\n{summary.prices}",  # the price table the day was priced with
    ]
