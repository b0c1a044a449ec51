"""`stainless preprocess|train|evaluate|decide`: one stage of one run (the DAG and the
container call these)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from stainless.cli.options import load, param_option, project_options
from stainless.core.ids import check_run_id, new_run_id


def _stage_command(stage: str) -> click.Command:
    @click.command(name=stage, help=f"Run the {stage} stage of a run (idempotent per run id).")
    @project_options
    @param_option
    @click.option("--run-id", default=None, help="Run to work on (default: a new run id).")
    @click.option("--force", is_flag=True, help="Run again even if this stage already completed.")
    @click.option("--json", "as_json", is_flag=True, help="Print the stage result as JSON.")
    def command(
        project_dir: Path, env: str | None, run_id: str | None, force: bool, as_json: bool
    ) -> None:
        from stainless.pipeline.stages import run_stage

        project = load(project_dir, env)
        run = check_run_id(run_id) if run_id else new_run_id()
        result = run_stage(project, stage, run, force=force)
        if as_json:
            click.echo(json.dumps(result.to_record(), indent=2, sort_keys=True, default=str))
        else:
            click.echo(f"{stage} done for run {run}")

    return command


preprocess = _stage_command("preprocess")
train = _stage_command("train")
evaluate = _stage_command("evaluate")
decide = _stage_command("decide")
