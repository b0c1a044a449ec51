"""`stainless versions` and `stainless rollback` on a real baked project."""

from pathlib import Path

from stainless.cli import main


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
