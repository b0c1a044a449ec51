"""`stainless versions` and `stainless rollback`: the registry, for people and scripts."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from stainless.cli.options import load, project_options
from stainless.pipeline.cost import format_usd, run_cost
from stainless.workspace import Workspace


@click.command()
@project_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def versions(project_dir: Path, env: str | None, as_json: bool) -> None:
    """List every version: status, metrics, creation time and lineage."""
    project = load(project_dir, env)
    rows = project.registry.list()
    if as_json:
        costs = {row.run_id: run_cost(project.store, row.run_id) for row in rows}
        listing = [{**row.to_dict(), "cost": costs[row.run_id].to_dict()} for row in rows]
        click.echo(json.dumps(listing, indent=2, default=str))
        return
    Console().print(versions_table(project))


def versions_table(project: Workspace) -> Table:
    metric = project.config.metric
    table = Table(title=f"{project.name} versions")
    table.add_column("version", justify="right")
    table.add_column("status", no_wrap=True, min_width=11)
    for column in (metric, "created", "run id", "commit", "data", "run cost"):
        table.add_column(column, overflow="fold")
    for row in project.registry.list():
        value = row.metrics.get(metric)
        git = row.lineage.get("git") or {}
        cost = run_cost(project.store, row.run_id)
        table.add_row(
            str(row.version),
            row.status,
            f"{value:.4g}" if isinstance(value, float) else "-",
            row.created_at,
            row.run_id,
            (git.get("commit") or "-")[:8],
            str(row.lineage.get("data_fingerprint", "-"))[:16],
            format_usd(cost.usd, cost.notional) if cost.stages else "-",
        )
    return table


@click.command()
@project_options
@click.option("--to", "to_version", type=int, required=True, help="Version to restore.")
@click.option("--reason", default="manual rollback", show_default=True)
@click.option(
    "--force",
    is_flag=True,
    help="Allow a version that never served production (e.g. one that skipped its canary).",
)
def rollback(project_dir: Path, env: str | None, to_version: int, reason: str, force: bool) -> None:
    """Make an earlier version production again: a rollout in flight is aborted first, the
    endpoint serves the version alone and the current production version becomes rolled_back
    (see docs/operations.md)."""
    from stainless.pipeline.versions import rollback_to

    result = rollback_to(load(project_dir, env), to_version, reason, force=force)
    if result.aborted_run:
        click.echo(f"aborted the rollout of run {result.aborted_run}")
    click.echo(f"version {result.version} is production")
