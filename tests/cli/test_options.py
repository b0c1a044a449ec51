"""stainless.cli.options: the options several commands share, on a command of their own."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from stainless.cli.options import param_option, project_dir_option, project_options


@click.command()
@project_dir_option()
def existing(project_dir: Path) -> None:
    click.echo(project_dir)


@click.command()
@project_options
@param_option
def configured(project_dir: Path, env: str | None) -> None:
    click.echo(json.dumps([str(project_dir), env, os.environ.get("STAINLESS_PARAMS")]))


def test_project_dir_defaults_to_here_and_must_exist_when_asked(tmp_path: Path):
    runner = CliRunner()
    assert runner.invoke(existing, []).output.strip() == "."
    assert runner.invoke(existing, ["-C", str(tmp_path)]).output.strip() == str(tmp_path)
    missing = runner.invoke(existing, ["--project-dir", str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "does not exist" in missing.output
    # Commands that open the workspace leave the check to it (it names model.yaml and the fix).
    assert runner.invoke(configured, ["-C", str(tmp_path / "nope")]).exit_code == 0


def test_params_are_parsed_as_yaml_and_restored_after_the_command(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("STAINLESS_PARAMS", json.dumps({"alpha": 1}))
    result = CliRunner().invoke(
        configured, ["-p", "alpha=30", "-p", "layers=[8, 4]", "--env", "aws"]
    )
    assert result.exit_code == 0, result.output
    directory, env, params = json.loads(result.output)
    assert (directory, env) == (".", "aws")
    assert json.loads(params) == {"alpha": 30, "layers": [8, 4]}
    # An in-process caller (a test, the demo) is not left with the command's params.
    assert json.loads(os.environ["STAINLESS_PARAMS"]) == {"alpha": 1}


def test_a_param_without_a_value_is_refused():
    result = CliRunner().invoke(configured, ["-p", "alpha"])
    assert result.exit_code == 2 and "'alpha' is not KEY=VALUE" in result.output


def test_a_param_value_with_a_key_given_twice_is_refused():
    result = CliRunner().invoke(configured, ["-p", "layers={a: 1, a: 2}"])
    assert result.exit_code == 2
    assert "--param layers" in result.output and "twice" in result.output
