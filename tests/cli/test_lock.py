"""`stainless lock --check` offline on a baked project (writing a lock resolves against the
package index: tests/project/test_lock.py)."""

from pathlib import Path

from click.testing import CliRunner
from stainless.cli import main
from stainless.project.lock import LOCK_FILE, lock_inputs


def test_check_passes_a_current_lock_and_fails_a_missing_or_stale_one(bake) -> None:  # type: ignore[no-untyped-def]
    project: Path = bake()
    runner = CliRunner()
    missing = runner.invoke(main, ["lock", "--check", "-C", str(project)])
    assert missing.exit_code == 1
    assert "requirements.lock: missing (or written by hand)" in missing.output
    assert "Fix: run `stainless lock`" in missing.output

    digest = lock_inputs(project).digest
    (project / LOCK_FILE).write_text(f"# inputs-sha256: {digest}\nnumpy==2.0.0\n")
    current = runner.invoke(main, ["lock", "--check", "-C", str(project)])
    assert current.exit_code == 0, current.output
    assert f"requirements.lock is current (inputs {digest[:12]})" in current.output

    pyproject = project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"joblib>=1.3",', '"joblib>=1.3", "xgboost",')
    )
    stale = runner.invoke(main, ["lock", "--check", "-C", str(project)])
    assert stale.exit_code == 1 and "requirements.lock: stale" in stale.output
