"""`stainless status` on a project never run and on a folder that is not a model repository
(projects in every state, through the same command: tests/pipeline/test_status.py)."""

import json
from pathlib import Path

from click.testing import CliRunner
from stainless.cli import main


def test_a_fresh_project_and_a_broken_folder(bake, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fresh = str(bake())
    runner = CliRunner()
    listed = runner.invoke(main, ["status", "-C", fresh, "--json"])
    assert listed.exit_code == 0, listed.output
    [model] = json.loads(listed.output)
    assert model["model"] == "house-prices" and model["production"] is None
    assert model["rollout"] is None and model["last_run"] is None
    table = runner.invoke(main, ["status", "-C", fresh], env={"COLUMNS": "220"})
    assert table.exit_code == 0, table.output
    assert "none in flight" in table.output and "never" in table.output

    # A folder that is not a model repository is reported (exit 1), the others still shown.
    args = ["status", "-C", str(tmp_path / "nothing"), "-C", fresh]
    broken = runner.invoke(main, [*args, "--json"])
    assert broken.exit_code == 1
    reported = json.loads(broken.output)
    assert "model.yaml" in reported[0]["error"] and reported[1]["model"] == "house-prices"
    shown = runner.invoke(main, args, env={"COLUMNS": "220"})
    assert shown.exit_code == 1 and "file not found" in shown.output
