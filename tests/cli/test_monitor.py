"""`stainless monitor` (the checks themselves: tests/pipeline/test_monitor.py)."""

from click.testing import CliRunner
from stainless.cli import main


def test_monitor_without_a_production_version_says_what_to_do(bake) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["monitor", "-C", str(bake())])
    assert result.exit_code != 0
    assert "no production version" in result.output and "stainless run" in result.output
