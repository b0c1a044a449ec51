"""`stainless demo` (what `make demo` runs): three versions through the whole lifecycle."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from stainless.cli import main
from stainless.workspace import open_workspace

pytestmark = pytest.mark.integration


def test_demo_promotes_a_healthy_candidate_and_rolls_back_a_faulty_one(tmp_path: Path):
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path), "--in-process"])
    assert result.exit_code == 0, result.output
    assert "Version 2 is production (was 1)" in result.output  # the Slack stub received it
    assert "Version 3 rolled back" in result.output
    # The Slack stub received costs (training finished, promoted), and the demo ends with the
    # last run's report.
    assert "trained in" in result.output and "(notional)" in result.output
    assert "; the run cost $" in result.output
    assert "house-prices: Cost on " in result.output  # the daily digest
    report = Path(result.output.rsplit("run report: ", 1)[1].split()[0])
    assert report.is_file() and report.name == "report.html"
    page = report.read_text()
    assert "rolled back" in page
    # The faulty candidate's errors reach the report's timeline.
    assert re.search(r"[1-9][0-9]* model errors", page), "no errors in the rollout timeline"
    # The monitoring step: no alert on the traffic as it came, then the shifted feature named.
    text = " ".join(result.output.split())  # the console wraps long lines
    tail = text[text.find("monitoring:") :]
    assert "traffic as it came: ok (moved: nothing)" in tail, tail
    assert "standard deviations: drift (moved: area_sqm)" in tail, tail
    assert "Drift in v2 of house-prices: area_sqm" in tail, tail
    statuses = {
        v.version: v.status for v in open_workspace(tmp_path / "house-prices").registry.list()
    }
    assert statuses == {1: "archived", 2: "production", 3: "rolled_back"}
