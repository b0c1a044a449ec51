"""`stainless report RUN`: write a run's self-contained HTML report (and open it)."""

from __future__ import annotations

from pathlib import Path

import click

from stainless.cli.options import load, project_options


@click.command()
@project_options
@click.argument("run_id")
@click.option("--open", "open_it", is_flag=True, help="Open it in the default browser.")
def report(project_dir: Path, env: str | None, run_id: str, open_it: bool) -> None:
    """Write the report of RUN_ID (stages, cost, metric vs production, decision, figures,
    rollout, lineage) to the store and print where it is."""
    from stainless.pipeline.report import write_report

    page = write_report(load(project_dir, env), run_id)
    click.echo(f"report: {page.path}")
    if not page.url.startswith("file:"):  # a presigned link to the copy in S3
        click.echo(f"link (7 days): {page.url}")
    if open_it:
        click.launch(str(page.path))
