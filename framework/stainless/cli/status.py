"""`stainless status`: every model at a glance (a Rich table, or JSON for machines)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table


@click.command()
@click.option(
    "-C",
    "--project-dir",
    "project_dirs",
    type=click.Path(file_okay=False, path_type=Path),
    multiple=True,
    help="A model repository; repeat for several (default: the current directory).",
)
@click.option("--env", default=None, envvar="STAINLESS_ENV", help="Named environment, e.g. aws.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(project_dirs: tuple[Path, ...], env: str | None, as_json: bool) -> None:
    """Per model: production, the rollout in flight, the last run, monitoring, this month's cost."""
    from stainless.pipeline.status import statuses

    found = statuses(list(project_dirs) or [Path(".")], env)
    if as_json:
        click.echo(json.dumps([s.to_dict() for s in found], indent=2))
    else:
        Console().print(status_table(found))
    if any(s.error for s in found):
        raise SystemExit(1)


def status_table(found: list) -> Table:  # list[ModelStatus]
    table = Table(title="stainless status")
    for column in ("model", "production", "rollout", "last run", "monitoring", "cost this month"):
        table.add_column(column, overflow="fold")
    for s in found:
        if s.error:
            table.add_row(s.model, f"[red]{s.error}[/red]", "", "", "", "")
            continue
        production = (
            f"v{s.production.version} {s.production.metric}="
            + (f"{s.production.value:.4g}" if s.production.value is not None else "?")
            if s.production
            else "none"
        )
        rollout = "none in flight"
        if s.rollout:
            evidence = "; ".join(f"{k}: {v}" for k, v in s.rollout.evidence[:4])
            rollout = (
                f"v{s.rollout.version} {s.rollout.state} step {s.rollout.step}/{s.rollout.steps} "
                f"at {s.rollout.weight:g}%\n{evidence}"
            )
        last = (
            f"{s.last_run.run_id}: {s.last_run.outcome}\n{s.last_run.at}" if s.last_run else "never"
        )
        monitoring = (
            f"{s.monitoring.status} ({s.monitoring.checked_at})\n{s.monitoring.summary}"
            if s.monitoring
            else "never"
        )
        table.add_row(s.model, production, rollout, last, monitoring, s.month_cost)
    return table
