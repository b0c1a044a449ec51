"""`stainless serve`'s arguments (the server it starts: tests/serving/test_server.py)."""

from pathlib import Path

from click.testing import CliRunner
from stainless.cli import main


def test_artifacts_and_a_registry_version_are_exclusive(tmp_path: Path) -> None:
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"")
    args = ["serve", "-C", str(tmp_path), "--artifacts", str(model), "--version", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "pass either --artifacts or --version, not both" in result.output


def test_workers_must_be_at_least_one(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "-C", str(tmp_path), "--workers", "0"])
    assert result.exit_code == 2 and "--workers" in result.output
