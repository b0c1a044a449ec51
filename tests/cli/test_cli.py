"""The command line, through click's CliRunner (same process, real files)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from stainless.cli import COMMANDS, main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_every_command_has_help(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)


def test_new_run_versions_rollback(runner, tmp_path: Path):
    created = runner.invoke(
        main, ["new", "--no-input", "-o", str(tmp_path), "model_name=Demo Model"]
    )
    assert created.exit_code == 0, created.output
    project = tmp_path / "demo-model"
    assert (project / "model.yaml").is_file()
    for _ in range(2):
        result = runner.invoke(main, ["run", "-C", str(project), "--in-process", "--json"])
        assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["stages"]["evaluate"]["production"]["version"] == 1

    listing = json.loads(runner.invoke(main, ["versions", "-C", str(project), "--json"]).stdout)
    assert [(v["version"], v["status"]) for v in listing] == [(1, "production"), (2, "rejected")]
    table = runner.invoke(main, ["versions", "-C", str(project)])
    assert "production" in table.output

    refused = runner.invoke(main, ["rollback", "-C", str(project), "--to", "2"])
    assert refused.exit_code == 1 and "rejected by evaluation" in refused.output


def test_single_stage_commands_share_a_run_id(runner, tmp_path: Path):
    runner.invoke(main, ["new", "--no-input", "-o", str(tmp_path)])
    project = str(tmp_path / "house-prices")
    for stage in ("preprocess", "train", "evaluate", "decide"):
        result = runner.invoke(main, [stage, "-C", project, "--run-id", "r1", "--json"])
        assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["action"] == "promote"
    again = runner.invoke(main, ["train", "-C", project, "--run-id", "r1", "--json"])
    assert json.loads(again.stdout)["version"] == 1


def test_rollback_restores_an_archived_version(runner, tmp_path: Path):
    from stainless.workspace import open_workspace

    runner.invoke(main, ["new", "--no-input", "-o", str(tmp_path)])
    project_dir = tmp_path / "house-prices"
    runner.invoke(main, ["run", "-C", str(project_dir), "--in-process", "--until", "train"])
    runner.invoke(main, ["run", "-C", str(project_dir), "--in-process", "--until", "train"])
    registry = open_workspace(project_dir).registry
    registry.promote(1, "test")
    registry.promote(2, "test")
    result = runner.invoke(main, ["rollback", "-C", str(project_dir), "--to", "1"])
    assert result.exit_code == 0, result.output
    statuses = {v.version: v.status for v in registry.list()}
    assert statuses == {1: "production", 2: "rolled_back"}


def test_user_errors_are_one_line_with_exit_codes(runner, tmp_path: Path):
    result = runner.invoke(main, ["run", "-C", str(tmp_path)])
    assert result.exit_code == 2
    assert "model.yaml: file not found" in result.output and "Traceback" not in result.output
    (tmp_path / "model.yaml").write_text("name: x\nowner: me\ntarget: y\nmetric: rsme\n")
    result = runner.invoke(main, ["versions", "-C", str(tmp_path)])
    assert result.exit_code == 2 and "model.yaml: metric: invalid value" in result.output
    bad = runner.invoke(main, ["preprocess", "-C", str(tmp_path), "--run-id", "../x"])
    assert bad.exit_code != 0
