"""`stainless cost` on a project with no runs yet (a real run's figures, and the same command on
them: tests/pipeline/test_cost.py)."""

import json

from click.testing import CliRunner
from stainless.cli import main


def test_a_project_without_runs_costs_nothing(bake) -> None:  # type: ignore[no-untyped-def]
    project = str(bake())
    runner = CliRunner()
    listed = runner.invoke(main, ["cost", "-C", project, "--since", "7d", "--json"])
    assert listed.exit_code == 0, listed.output
    data = json.loads(listed.output)
    assert data["runs"] == [] and data["endpoint_days"] == []
    table = runner.invoke(main, ["cost", "-C", project], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "house-prices: runs since" in table.output and "total" in table.output


def test_an_unreadable_duration_is_a_usage_error(bake) -> None:  # type: ignore[no-untyped-def]
    bad = CliRunner().invoke(main, ["cost", "-C", str(bake()), "--since", "a while"])
    assert bad.exit_code == 2 and "90s, 30m" in bad.output
