"""`stainless monitor`: one monitoring check of the production version (docs/monitoring.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from stainless.cli.options import load, project_options


@click.command()
@project_options
@click.option(
    "--since",
    default=None,
    help="Traffic to check: a duration back from now (6h, 2d) or an ISO time "
    "(default: monitoring.window in model.yaml, 24h).",
)
@click.option(
    "--report",
    "report",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the HTML report here.",
)
@click.option("--no-notify", is_flag=True, help="Do not send the drift alert.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def monitor(
    project_dir: Path,
    env: str | None,
    since: str | None,
    report: Path | None,
    no_notify: bool,
    as_json: bool,
) -> None:
    """Compare captured traffic with the production version's reference profile."""
    from stainless.pipeline.monitor import run_monitor

    result = run_monitor(load(project_dir, env), since, report_path=report, notify=not no_notify)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    drift = result.drift
    console = Console()
    console.print(
        f"{result.model} v{result.version}: [bold]{drift.status}[/bold] "
        f"({result.rows} rows since {result.since:%Y-%m-%d %H:%M} UTC)"
    )
    if drift.reason:
        console.print(drift.reason)
    table = Table()
    for column in ("feature", "drifted", "PSI", "p (corrected)", "what moved"):
        table.add_column(column)
    for feature in [*drift.features, *([drift.prediction] if drift.prediction else [])]:
        table.add_row(
            feature.feature,
            "[red]yes[/red]" if feature.drifted else "no",
            f"{feature.psi:.3f}",
            f"{feature.p_adjusted:.2g}",
            feature.summary().split(": ", 1)[1],
        )
    if drift.features:
        console.print(table)
    note = result.notification
    if note is not None:
        console.print(f"notification: {'sent' if note.sent else 'not sent'} ({note.reason})")
    console.print(f"report: {result.report_url}")
