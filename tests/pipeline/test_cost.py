"""Cost per stage, per run and per endpoint variant per day: a local run on a real baked project
(notional prices, Slack messages through the real client and the Slack stub), and the endpoint
history integrated across midnight and autoscaling."""

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
from stainless.pipeline.cost import (
    BILLABLE,
    ESTIMATED,
    NOTIONAL,
    EndpointChange,
    VariantCapacity,
    cost_summary,
    day_cost,
    endpoint_costs,
    endpoint_history,
    run_cost,
    send_daily_digest,
    stage_cost,
)
from stainless.pipeline.project import open_project
from stainless.pipeline.runner import run_lifecycle


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def _variant(name: str, version: int, count: int, instance: str | None = "ml.m5.large"):
    return VariantCapacity(name, version, instance, count, 1.0)


def test_endpoint_days_integrate_the_history_across_midnight_and_autoscaling() -> None:
    history = [
        EndpointChange(_at("2026-03-01T22:00:00"), "v1 deployed", (_variant("v1", 1, 1),)),
        # autoscaling: 3 instances from 23:00 to 01:00 the next day
        EndpointChange(_at("2026-03-01T23:00:00"), "scaled", (_variant("v1", 1, 3),)),
        EndpointChange(
            _at("2026-03-02T01:00:00"),
            "canary",
            (_variant("v1", 1, 1), _variant("v2", 2, 2, "ml.c5.xlarge")),
        ),
        EndpointChange(_at("2026-03-02T02:30:00"), "down", ()),
    ]
    rows = endpoint_costs(
        history,
        _at("2026-03-01T00:00:00"),
        _at("2026-03-03T00:00:00"),
        serve_cpus=1,
        serve_memory_gb=2,
        table=BUNDLED,
    )
    got = {(r.day, r.variant): r.instance_hours for r in rows}
    assert got == {
        ("2026-03-01", "v1"): pytest.approx(1 + 3),  # 22-23 x1, 23-24 x3
        ("2026-03-02", "v1"): pytest.approx(3 + 1.5),  # 00-01 x3, 01-02:30 x1
        ("2026-03-02", "v2"): pytest.approx(2 * 1.5),
    }
    v2 = next(r for r in rows if r.variant == "v2")
    assert v2.basis == BILLABLE and v2.usd == pytest.approx(
        3 * BUNDLED.get("ml.c5.xlarge").price("endpoint")
    )
    # The window cuts the history: only what ran inside it is counted.
    cut = endpoint_costs(
        history,
        _at("2026-03-02T02:00:00"),
        _at("2026-03-02T03:00:00"),
        serve_cpus=1,
        serve_memory_gb=2,
        table=BUNDLED,
    )
    assert {r.variant: r.instance_hours for r in cut} == {"v1": 0.5, "v2": 1.0}
    # A local variant (no instance type) is priced notionally from resources.serve.
    local = endpoint_costs(
        [EndpointChange(_at("2026-03-01T00:00:00"), "up", (_variant("v1", 1, 1, None),))],
        _at("2026-03-01T00:00:00"),
        _at("2026-03-01T12:00:00"),
        serve_cpus=1,
        serve_memory_gb=2,
        table=BUNDLED,
    )
    assert local[0].basis == NOTIONAL and local[0].instance_type == "ml.t3.medium"
    assert local[0].usd == pytest.approx(12 * 0.05)


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
    project = open_project(project_dir)
    report = run_lifecycle(project, "run-1", in_process=True)
    assert report.ok, report.error

    cost = run_cost(project.store, "run-1")
    assert [s.stage for s in cost.stages] == ["preprocess", "train", "evaluate", "decide"]
    assert all(s.basis == NOTIONAL and s.usd and s.usd > 0 for s in cost.stages)
    assert cost.notional and cost.usd == pytest.approx(sum(s.usd for s in cost.stages))
    train = next(s for s in cost.stages if s.stage == "train")
    assert train.instance_type is not None
    assert 0 < train.seconds <= report.durations["train"] + 0.5
    assert train.usd == pytest.approx(train.hourly_usd * train.seconds / 3600, rel=1e-3)

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


@pytest.mark.integration
def test_a_sagemaker_endpoint_is_costed_from_its_recorded_instances(
    bake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real (moto) SageMaker endpoint: its variants' instance type and count are recorded as
    they change (autoscaling included), and the days are integrated from that history."""
    import httpx
    from stainless.backends.endpoints import VariantSpec
    from stainless.pipeline.cost import record_endpoint
    from support.moto_server import moto_server

    role = "arn:aws:iam::123456789012:role/sagemaker"
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/house-prices:abc123"
    project_dir = bake()
    with moto_server(monkeypatch) as url:
        httpx.post(f"{url}/moto-api/reset").raise_for_status()
        monkeypatch.setenv(
            "STAINLESS_ENDPOINT",
            f"sagemaker://?role={role}&image={image}&instance_type=ml.m5.large&instance_count=1",
        )
        project = open_project(project_dir)
        project.endpoint.poll_s = 0.05
        project.endpoint.up(
            VariantSpec("v1", 1, Path("/unused"), 1.0, model_data="s3://a/r1/model.tar.gz")
        )
        start = _at("2026-03-01T22:00:00")
        assert record_endpoint(project, "v1 deployed", now=start) is not None
        # Autoscaling (not us) raises the count; the next look records it, once.
        project.endpoint.sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=project.name,
            DesiredWeightsAndCapacities=[{"VariantName": "v1", "DesiredInstanceCount": 3}],
        )
        assert record_endpoint(project, "observed", now=start + 3600) is not None
        assert record_endpoint(project, "observed", now=start + 5400) is None  # no change
        project.endpoint.down()
        assert record_endpoint(project, "stopped", now=start + 3 * 3600) is not None
    history = endpoint_history(project.store)
    assert [[(v.instance_type, v.instance_count) for v in c.variants] for c in history] == [
        [("ml.m5.large", 1)],
        [("ml.m5.large", 3)],
        [],
    ]
    rows = endpoint_costs(
        history, start - 86400, start + 86400, serve_cpus=1, serve_memory_gb=1, table=BUNDLED
    )
    assert [(r.day, r.variant, r.instance_hours, r.basis) for r in rows] == [
        ("2026-03-01", "v1", 4.0, BILLABLE),  # 22-23 x1, 23-24 x3
        ("2026-03-02", "v1", 3.0, BILLABLE),  # 00-01 x3
    ]
    assert rows[0].usd == pytest.approx(4 * BUNDLED.get("ml.m5.large").price("endpoint"))


def test_amounts_read_well_at_every_scale() -> None:
    from stainless.pipeline.cost import format_usd

    assert format_usd(1234.5) == "$1,234.50"
    assert format_usd(0.0123) == "$0.0123"
    assert format_usd(0.000016, notional=True) == "$0.000016 (notional)"
    assert format_usd(1e-9) == "<$0.000001"
    assert format_usd(None) == "—"
