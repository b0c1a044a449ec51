"""`stainless demo` (what `make demo` runs): three versions through the whole lifecycle."""

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
