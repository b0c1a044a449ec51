"""`stainless run` through click's CliRunner (same process, real files): a new project run
twice, its JSON report, then the versions it made."""

import json
from pathlib import Path

from stainless.cli import main


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
