"""`stainless status` across three real baked projects in different states: one never run, one
approved but not deployed, one with version 1 in production and version 2's canary in flight
(and a monitoring result in its store)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from stainless.cli import main
from stainless.pipeline.runner import run_lifecycle
from stainless.pipeline.status import statuses
from stainless.workspace import open_workspace
from stainless.workspace.layout import monitoring_result_key

pytestmark = pytest.mark.integration


@pytest.fixture
def three_projects(bake, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    fresh = bake(model_name="Fresh Model")
    approved = bake(model_name="Approved Model")
    canary = bake(model_name="Canary Model")
    assert run_lifecycle(open_workspace(approved), "a-1", in_process=True, until="decide").ok
    assert run_lifecycle(open_workspace(canary), "c-1", in_process=True).ok
    monkeypatch.setenv("STAINLESS_PARAMS", json.dumps({"alpha": 0.5}))
    assert run_lifecycle(open_workspace(canary), "c-2", in_process=True, until="deploy").ok
    monkeypatch.delenv("STAINLESS_PARAMS")
    # Two checks by `stainless monitor` (its result's shape): the newer one is shown.
    store = open_workspace(canary).store
    for checked, reason in (("20260301T060000Z", "older"), ("20260302T060000Z", "no drift")):
        store.put_bytes(
            monitoring_result_key("canary-model", checked),
            json.dumps({"checked_at": checked, "status": "ok", "reason": reason}).encode(),
        )
    return [fresh, approved, canary]


def test_status_of_three_models_in_different_states(
    three_projects: list[Path], tmp_path: Path
) -> None:
    fresh, approved, canary = statuses(three_projects)

    assert fresh.model == "fresh-model" and fresh.error is None
    assert fresh.production is None and fresh.rollout is None and fresh.last_run is None
    assert fresh.monitoring is None and fresh.month_cost_usd == 0

    assert approved.production is None and approved.rollout is None
    assert approved.last_run.run_id == "a-1"
    assert approved.last_run.outcome == "approved for rollout"
    assert approved.month_cost_usd > 0 and approved.month_cost_notional

    assert canary.production.version == 1 and canary.production.metric == "rmse"
    assert canary.production.value > 0
    rollout = canary.rollout
    assert (rollout.run_id, rollout.version, rollout.state) == ("c-2", 2, "canary")
    assert (rollout.step, rollout.steps, rollout.weight) == (1, 3, 25.0)
    assert rollout.evidence == (("traffic", "none observed yet"),)
    assert canary.last_run.run_id == "c-2" and canary.last_run.outcome == "rollout canary"
    assert canary.monitoring.status == "ok" and canary.monitoring.summary == "no drift"
    # Two runs, and the endpoint since v1 went live: more than the approved model's one run.
    assert canary.month_cost_usd > approved.month_cost_usd

    # The command: JSON for machines, a table for people (same fixture: runs are slow).
    args = [arg for path in three_projects for arg in ("-C", str(path))]
    runner = CliRunner()
    listed = runner.invoke(main, ["status", *args, "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert [d["model"] for d in data] == ["fresh-model", "approved-model", "canary-model"]
    assert data[2]["rollout"]["weight"] == 25.0 and data[0]["monitoring"] is None

    table = runner.invoke(main, ["status", *args], env={"COLUMNS": "220"})
    assert table.exit_code == 0, table.output
    for text in ("fresh-model", "never", "approved for rollout", "step 1/3 at 25%", "no drift"):
        assert text in table.output, text

    # A folder that is not a model repository is reported, and the others still shown.
    broken = runner.invoke(main, ["status", "-C", str(tmp_path), *args[:2], "--json"])
    assert broken.exit_code == 1
    reported = json.loads(broken.output)
    assert "model.yaml" in reported[0]["error"] and reported[1]["model"] == "fresh-model"
    assert os.environ.get("STAINLESS_PARAMS") is None
