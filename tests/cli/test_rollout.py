"""`stainless rollout ...` and `stainless rollback` on a real local endpoint."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from stainless.cli import main
from stainless.workspace import open_workspace

pytestmark = pytest.mark.integration


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def test_manual_rollout_then_rollback(tmp_path: Path):
    invoke("new", "--no-input", "-o", str(tmp_path))
    project = str(tmp_path / "house-prices")
    invoke("run", "-C", project, "--in-process", "-p", "alpha=300")  # v1: production
    invoke("run", "-C", project, "--in-process", "--until", "decide", "--run-id", "r2")
    started = json.loads(invoke("rollout", "start", "-C", project, "--run-id", "r2", "--json"))
    assert started["state"] == "canary" and started["weight"] == 25.0
    assert json.loads(invoke("rollout", "pause", "-C", project, "--json"))["state"] == "paused"
    status = json.loads(invoke("rollout", "status", "-C", project, "--json"))
    assert status["run_id"] == "r2" and status["paused_by"] == "user"
    assert json.loads(invoke("rollout", "resume", "-C", project, "--json"))["state"] == "canary"
    promoted = json.loads(
        invoke("rollout", "promote", "-C", project, "--reason", "looks fine", "--json")
    )
    assert promoted["state"] == "promoted" and promoted["decisions"][-1]["manual"] is True
    assert promoted["finalized"] is True  # promote finalizes; finalize again is a no-op
    assert invoke("finalize", "r2", "-C", project).startswith("promoted")

    endpoint = open_workspace(project).endpoint
    assert [(v.name, v.weight) for v in endpoint.status().variants] == [("v2", 1.0)]
    statuses = {
        v["version"]: v["status"] for v in json.loads(invoke("versions", "-C", project, "--json"))
    }
    assert statuses == {1: "archived", 2: "production"}

    invoke("rollback", "-C", project, "--to", "1", "--reason", "drill")
    assert [v.name for v in endpoint.status().variants] == ["v1"]
    statuses = {
        v["version"]: v["status"] for v in json.loads(invoke("versions", "-C", project, "--json"))
    }
    assert statuses == {1: "production", 2: "rolled_back"}


def test_rollout_commands_explain_missing_rollouts(tmp_path: Path):
    invoke("new", "--no-input", "-o", str(tmp_path))
    result = CliRunner().invoke(main, ["rollout", "status", "-C", str(tmp_path / "house-prices")])
    assert result.exit_code == 1 and "no rollout found" in result.output
