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

from stainless.cli.options import load, param_option, project_options
from stainless.core.ids import check_run_id, new_run_id
from stainless.pipeline.runner import LIFECYCLE, RolloutOptions, RunReport


@click.command()
@project_options
@param_option
@click.option(
    "--until",
    type=click.Choice(list(LIFECYCLE)),
    default=None,
    help="Stop after this stage.",
)
@click.option("--run-id", default=None, help="Resume this run (completed stages are skipped).")
@click.option(
    "--in-process",
    is_flag=True,
    help="Run stages in this process instead of limited subprocesses (faster).",
)
@click.option(
    "--traffic/--no-traffic",
    default=True,
    show_default=True,
    help="Replay validation rows against the local endpoint during the rollout (demo traffic).",
)
@click.option(
    "--traffic-rate",
    type=float,
    default=200.0,
    show_default=True,
    help="Requests per second of the demo traffic.",
)
@click.option("--skip-canary", is_flag=True, help="Give an approved candidate all traffic at once.")
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
def run(
    project_dir: Path,
    env: str | None,
    until: str | None,
    run_id: str | None,
    in_process: bool,
    traffic: bool,
    traffic_rate: float,
    skip_canary: bool,
    as_json: bool,
) -> None:
    """The whole lifecycle on this machine: preprocess, train, evaluate against production,
    decide, then deploy an approved candidate beside production on the local endpoint and roll
    it out step by step (promoted or rolled back)."""
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

    def show_tick(state: Any) -> None:
        last = state.decisions[-1]["action"] if state.decisions else "wait"
        console.print(
            f"  rollout: {state.summary} (last decision: {last}, {len(state.ticks)} ticks)"
        )

    options = RolloutOptions(
        traffic=traffic, rate=traffic_rate, skip_canary=skip_canary, on_tick=show_tick
    )
    report = run_lifecycle(
        project, run_id, until=until, in_process=in_process, on_stage=show, rollout=options
    )
    elapsed = time.monotonic() - started
    if as_json:
        click.echo(
            json.dumps(
                {
                    "run_id": run_id,
                    "ok": report.ok,
                    "failed": report.failed,
                    "error": report.error,
                    "stages": {name: r.to_record() for name, r in report.stages.items()},
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
        table.add_row(stage, result.summary(metric))
    console.print(table)
