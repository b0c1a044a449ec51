"""`stainless traffic` when there is nothing to send requests to (the happy path, with the
endpoint it needs, is in tests/cli/test_endpoint.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from stainless.cli import main
from support.served_project import stainless

pytestmark = pytest.mark.integration


def test_traffic_without_a_run_says_what_to_do(bake) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["traffic", "-C", str(bake())])
    assert result.exit_code != 0
    assert "stainless run" in result.output


def test_traffic_to_a_stopped_endpoint_says_what_to_do(project_dir: Path) -> None:
    stainless("endpoint", "down", "-C", str(project_dir))  # `stainless run` left it up
    result = CliRunner().invoke(main, ["traffic", "-C", str(project_dir)])
    assert result.exit_code != 0
    assert "not running" in result.output and "stainless endpoint up" in result.output
