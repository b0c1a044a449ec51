"""Cost per stage and per run: billable, estimated and notional figures, and a local run on a real
baked project (notional prices; Slack messages through the real client and the Slack stub; the
`stainless cost` and `stainless versions` commands; the daily digest)."""

from __future__ import annotations

import html
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from stainless.backends.compute import JobResult
from stainless.backends.compute.instances import BUNDLED
from stainless.backends.storage.local import LocalStore
from stainless.cli import main
from stainless.pipeline.cost import BILLABLE, ESTIMATED, NOTIONAL, run_cost, stage_cost
from stainless.pipeline.cost_summary import cost_summary, day_cost, send_daily_digest
from stainless.pipeline.endpoint_history import (
    endpoint_history,
)
from stainless.pipeline.runner import run_lifecycle
from stainless.workspace import open_workspace


def test_a_stage_is_billable_estimated_or_notional() -> None:
    billed = stage_cost(
        "r",
        "train",
        JobResult(0, 900.0, 0, instance_type="ml.m5.xlarge", billable_s=720.0),
        cpus=4,
        memory_gb=16,
        kind="training",
        table=BUNDLED,
    )
    assert billed.basis == BILLABLE and billed.seconds == 720
    assert billed.usd == pytest.approx(0.230 * 720 / 3600, rel=1e-4)
    assert billed.prices == "us-east-1 prices of 2026-11-28 (bundled, approximate)"
    estimated = stage_cost(
        "r",
        "evaluate",
        JobResult(0, 60.0, 0, instance_type="ml.t3.medium"),
        cpus=1,
        memory_gb=2,
        kind="processing",
        table=BUNDLED,
    )
    assert estimated.basis == ESTIMATED and estimated.usd == pytest.approx(0.05 / 60, rel=1e-4)
    local = stage_cost(
        "r", "train", JobResult(0, 36.0, 0), cpus=4, memory_gb=20, kind="training", table=BUNDLED
    )
    assert local.basis == NOTIONAL and local.instance_type == "ml.r5.xlarge"
    assert local.usd == pytest.approx(0.302 / 100, rel=1e-4)
    unknown = stage_cost(
        "r",
        "train",
        JobResult(0, 1.0, 0, instance_type="ml.p5.48xlarge", billable_s=10.0),
        cpus=1,
        memory_gb=1,
        kind="training",
        table=BUNDLED,
    )
    assert unknown.usd is None and unknown.seconds == 10  # time kept, price unknown


@pytest.fixture(scope="module")
def template_project(tmp_path_factory) -> Path:
    from cookiecutter.main import cookiecutter
    from stainless.project.template import template_dir

    out = tmp_path_factory.mktemp("tpl")
    return Path(cookiecutter(str(template_dir()), no_input=True, output_dir=str(out)))


@pytest.mark.integration
def test_a_local_run_costs_notionally_and_slack_says_so(
    template_project: Path, tmp_path: Path, slack_stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    project_dir = tmp_path / "house-prices"
    shutil.copytree(template_project, project_dir)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_stub.token)
    monkeypatch.setenv("SLACK_API_URL", slack_stub.base_url)
    monkeypatch.setenv("STAINLESS_NOTIFY", "slack://#ml-models")
    project = open_workspace(project_dir)
    report = run_lifecycle(project, "run-1", in_process=True)
    assert report.ok, report.error

    cost = run_cost(project.store, "run-1")
    assert [s.stage for s in cost.stages] == ["preprocess", "train", "evaluate", "decide"]
    assert all(s.basis == NOTIONAL and s.usd and s.usd > 0 for s in cost.stages)
    assert cost.notional and cost.usd == pytest.approx(sum(s.usd for s in cost.stages))
    train = next(s for s in cost.stages if s.stage == "train")
    assert train.instance_type is not None
    assert 0 < train.seconds <= report.durations["train"] + 0.5
    # Stored to 8 decimals, from the seconds before they were rounded to milliseconds.
    rounding = train.hourly_usd * 0.0005 / 3600 + 1e-8
    assert train.usd == pytest.approx(train.hourly_usd * train.seconds / 3600, abs=rounding)

    # The endpoint now serves v1: its history has that change, priced notionally.
    [change] = endpoint_history(project.store)
    assert [(v.name, v.instance_type, v.instance_count) for v in change.variants] == [
        ("v1", None, 1)
    ]
    summary = cost_summary(project, 30 * 86400)
    assert [r.run_id for r in summary.runs] == ["run-1"]
    assert summary.endpoint_days and summary.endpoint_days[0].basis == NOTIONAL
    assert summary.usd == pytest.approx(summary.runs_usd + summary.endpoint_usd)
    assert summary.prices.startswith("us-east-1 prices of")

    texts = {m["text"]: m for m in slack_stub.messages}
    blocks = [html.unescape(str(m.get("blocks"))) for m in slack_stub.messages]
    trained = next(b for b in blocks if "trained in" in b)
    assert "*Cost*" in trained and "(notional)" in trained
    promoted = next(b for b in blocks if "is production" in b)
    assert "*Run cost*" in promoted and "(notional)" in promoted
    # The run finished message links the run's report (a file locally, presigned on S3).
    finished = next(b for b in blocks if "finished: promoted" in b)
    report_url = project.store.share_url("runs/run-1/report.html", 60)
    assert f"<{report_url}|run report>" in finished
    assert texts

    # The command line shows the same figures.
    cli = CliRunner()
    listed = cli.invoke(main, ["cost", "-C", str(project_dir), "--since", "1d", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert data["runs"][0]["usd"] == pytest.approx(cost.usd) and data["notional"] is True
    table = cli.invoke(main, ["cost", "-C", str(project_dir)], env={"COLUMNS": "200"})
    assert "notional" in table.output and "run-1" in table.output, table.output
    versions = cli.invoke(main, ["versions", "-C", str(project_dir)], env={"COLUMNS": "250"})
    assert "run cost" in versions.output and "(notional)" in versions.output, versions.output
    as_json = json.loads(cli.invoke(main, ["versions", "-C", str(project_dir), "--json"]).output)
    assert as_json[0]["cost"]["usd"] == pytest.approx(cost.usd)
    bad = cli.invoke(main, ["cost", "-C", str(project_dir), "--since", "a while"])
    assert bad.exit_code == 2 and "90s, 30m" in bad.output

    # The daily digest: today's cost (the run happened today).
    today = datetime.now(UTC).date()
    digest = send_daily_digest(project, today)
    assert digest.runs and digest.usd == pytest.approx(day_cost(project, today).usd, rel=0.05)
    last = html.unescape(str(slack_stub.messages[-1]["blocks"]))
    assert f"Cost on {today.isoformat()}" in last and "Endpoint variants" in last


def test_costs_are_read_back_from_the_store(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    assert run_cost(store, "nothing").usd is None
    assert endpoint_history(store) == []


def test_amounts_read_well_at_every_scale() -> None:
    from stainless.pipeline.cost import format_usd

    assert format_usd(1234.5) == "$1,234.50"
    assert format_usd(0.0123) == "$0.0123"
    assert format_usd(0.000016, notional=True) == "$0.000016 (notional)"
    assert format_usd(1e-9) == "<$0.000001"
    assert format_usd(None) == "—"
