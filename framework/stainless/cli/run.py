"""`stainless run`: the whole local lifecycle of a model."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from stainless.cli.options import load, project_options
from stainless.core.ids import check_run_id, new_run_id
from stainless.pipeline.runner import RunReport


@click.command()
@project_options
@click.option(
    "--until",
    type=click.Choice(["preprocess", "train", "evaluate", "decide"]),
    default=None,
    help="Stop after this stage.",
)
@click.option("--run-id", default=None, help="Resume this run (completed stages are skipped).")
@click.option(
    "--in-process",
    is_flag=True,
    help="Run stages in this process instead of limited subprocesses (faster).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
def run(
    project_dir: Path,
    env: str | None,
    until: str | None,
    run_id: str | None,
    in_process: bool,
    as_json: bool,
) -> None:
    """Preprocess, train, evaluate against production, and decide, on this machine."""
    from stainless.pipeline.runner import run_lifecycle

    project = load(project_dir, env)
    run_id = check_run_id(run_id) if run_id else new_run_id()
    console = Console(stderr=True)
    started = time.monotonic()

    def show(stage: str, state: str) -> None:
        if state == "start":
            console.print(f"[bold]▶ {stage}[/bold]")
        elif state == "failed":
            console.print(f"[red]✗ {stage} failed[/red]")

    console.print(f"[bold]{project.name}[/bold]: run [cyan]{run_id}[/cyan]")
    report = run_lifecycle(project, run_id, until=until, in_process=in_process, on_stage=show)
    elapsed = time.monotonic() - started
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": run_id,
                    "ok": report.ok,
                    "failed": report.failed,
                    "error": report.error,
                    "stages": report.stages,
                    "elapsed_s": round(elapsed, 2),
                },
                indent=2,
                default=str,
            )
        )
    else:
        show_report(console, project.config.metric, report, elapsed)
    if not report.ok:
        console.print(f"[red]error:[/red] {report.error}")
        console.print(f"resume with: stainless run -C {project_dir} --run-id {run_id}")
        sys.exit(1)


def show_report(console: Console, metric: str, report: RunReport, elapsed: float) -> None:
    table = Table(title=f"run {report.run_id} ({elapsed:.1f}s)")
    table.add_column("stage")
    table.add_column("result")
    for stage, result in report.stages.items():
        table.add_row(stage, _describe(stage, result, metric))
    console.print(table)


def _describe(stage: str, result: dict[str, Any], metric: str) -> str:
    if stage == "preprocess":
        return ", ".join(f"{k}: {v['rows']} rows" for k, v in result["splits"].items())
    if stage == "train":
        return f"version {result['version']} in {result['duration_s']:.2f}s"
    if stage == "evaluate":
        text = f"candidate {metric} = {result['candidate']['value']:.4g}"
        prod = result.get("production")
        if prod and prod.get("value") is not None:
            text += f", production v{prod['version']} = {prod['value']:.4g}"
        return text
    if stage == "decide":
        return f"{result['action'].upper()}: {result['reason']}"
    return ""
