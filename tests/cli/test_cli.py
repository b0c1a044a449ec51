"""The command line, through click's CliRunner (same process, real files)."""

from pathlib import Path

from stainless.cli import COMMANDS, main


def test_every_command_has_help(runner):
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output
        sub = runner.invoke(main, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)


def test_user_errors_are_one_line_with_exit_codes(runner, tmp_path: Path):
    result = runner.invoke(main, ["run", "-C", str(tmp_path)])
    assert result.exit_code == 2
    assert "model.yaml: file not found" in result.output and "Traceback" not in result.output
    (tmp_path / "model.yaml").write_text("name: x\nowner: me\ntarget: y\nmetric: rsme\n")
    result = runner.invoke(main, ["versions", "-C", str(tmp_path)])
    assert result.exit_code == 2 and "model.yaml: metric: invalid value" in result.output
    bad = runner.invoke(main, ["preprocess", "-C", str(tmp_path), "--run-id", "../x"])
    assert bad.exit_code != 0
