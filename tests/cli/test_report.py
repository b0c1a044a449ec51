"""`stainless report` (the report itself: tests/pipeline/test_report.py)."""

from click.testing import CliRunner
from stainless.cli import main


def test_a_run_that_never_happened_names_the_fix(bake) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(main, ["report", "no-such-run", "-C", str(bake())])
    assert result.exit_code != 0
    assert "run no-such-run has nothing in the store" in result.output
    assert "stainless versions" in result.output and "Traceback" not in result.output
