"""`stainless preprocess|train|evaluate|decide`: one stage of one run per command."""

import json
from pathlib import Path

from stainless.cli import main


def test_single_stage_commands_share_a_run_id(runner, tmp_path: Path):
    runner.invoke(main, ["new", "--no-input", "-o", str(tmp_path)])
    project = str(tmp_path / "house-prices")
    for stage in ("preprocess", "train", "evaluate", "decide"):
        result = runner.invoke(main, [stage, "-C", project, "--run-id", "r1", "--json"])
        assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["action"] == "promote"
    again = runner.invoke(main, ["train", "-C", project, "--run-id", "r1", "--json"])
    assert json.loads(again.stdout)["version"] == 1
