"""`stainless cost` and `stainless instances`: what models cost, and the prices used."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from stainless.cli.options import load, project_options
from stainless.core.durations import parse_duration


@click.command()
@project_options
@click.option(
    "--since",
    default="30d",
    show_default=True,
    callback=lambda ctx, param, value: _duration(ctx, param, value),
    help="How far back, e.g. 7d, 12h.",
)
@click.option("--digest", is_flag=True, help="Post yesterday's cost to the team (daily digest).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def cost(project_dir: Path, env: str | None, since: float, digest: bool, as_json: bool) -> None:
    """Cost per run (per stage) and per endpoint variant per day."""
    from stainless.pipeline.cost_summary import cost_summary, send_daily_digest

    project = load(project_dir, env)
    summary = send_daily_digest(project) if digest else cost_summary(project, since)
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
        return
    from stainless.pipeline.cost import format_usd

    console = Console()
    runs = Table(title=f"{summary.model}: runs since {summary.since[:10]}")
    for column in ("run id", "stage", "instance", "seconds", "basis", "cost"):
        runs.add_column(column, justify="right" if column in ("seconds", "cost") else "left")
    for run in summary.runs:
        for stage in run.stages:
            runs.add_row(
                run.run_id,
                stage.stage,
                stage.instance_type or "-",
                f"{stage.seconds:.1f}",
                stage.basis,
                format_usd(stage.usd),
            )
        runs.add_row(run.run_id, "[bold]run[/bold]", "", "", "", format_usd(run.usd, run.notional))
    console.print(runs)
    days = Table(title="endpoint, per variant per day")
    for column in ("day", "variant", "version", "instance", "instance-hours", "basis", "cost"):
        days.add_column(column)
    for day in summary.endpoint_days:
        days.add_row(
            day.day,
            day.variant,
            str(day.version),
            day.instance_type or "-",
            f"{day.instance_hours:.2f}",
            day.basis,
            format_usd(day.usd),
        )
    console.print(days)
    console.print(
        f"total {format_usd(summary.usd, summary.notional)} "
        f"(runs {format_usd(summary.runs_usd)}, endpoint {format_usd(summary.endpoint_usd)}); "
        f"{summary.prices}"
    )
    if summary.notional:
        console.print(
            "[dim]notional: local work priced as the cheapest SageMaker type fitting its "
            "resources; nothing was billed[/dim]"
        )


@click.command()
@click.option("--refresh", is_flag=True, help="Fetch current prices from the AWS Pricing API.")
@click.option("--region", default=None, help="Region to price (default: the table's).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def instances(refresh: bool, region: str | None, as_json: bool) -> None:
    """The instance types and prices the picker and the cost figures use."""
    from stainless.backends.compute.instances import load_price_table
    from stainless.backends.compute.pricing import refresh_price_table

    table = refresh_price_table(region) if refresh else load_price_table()
    if as_json:
        click.echo(json.dumps(table.to_dict(), indent=2))
        return
    out = Table(title=f"SageMaker instance types: {table.label}")
    for column in ("type", "vCPUs", "GiB", "training $/h", "processing $/h", "endpoint $/h"):
        out.add_column(column, justify="left" if column == "type" else "right")
    for instance in table.instances:
        prices = [
            f"{instance.price(kind):.3f}" if kind in instance.kinds else "-"
            for kind in ("training", "processing", "endpoint")
        ]
        out.add_row(instance.name, str(instance.vcpus), f"{instance.memory_gib:g}", *prices)
    Console().print(out)


def _duration(ctx: click.Context, param: click.Parameter, value: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None
