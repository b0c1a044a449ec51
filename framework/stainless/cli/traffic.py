"""`stainless traffic`: replay a run's validation rows as requests against the model's endpoint."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from stainless.cli.endpoint import name_option
from stainless.cli.options import load, project_options
from stainless.core.ids import check_run_id


@click.command()
@project_options
@name_option
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=20.0,
    show_default=True,
    help="Requests per second.",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Seconds to send for.",
)
@click.option(
    "--max-requests",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after this many requests (default: rate x duration).",
)
@click.option(
    "--from",
    "split",
    type=click.Choice(["validation", "test", "train"]),
    default="validation",
    show_default=True,
    help="Which split's rows to send.",
)
@click.option("--run-id", default=None, help="Run whose split to use (default: the latest).")
@click.option(
    "--invalid-fraction",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of requests deliberately made invalid (they must count as client "
    "errors, not model errors).",
)
@click.option(
    "--variant",
    "target_variant",
    default=None,
    help="Send everything to this variant (X-Amzn-SageMaker-Target-Variant).",
)
@click.option(
    "--shift",
    "shifts",
    multiple=True,
    metavar="FEATURE=CHANGE",
    help="Change a field of every request, to try monitoring: FEATURE=+2sd (add 2 standard "
    "deviations), FEATURE=*1.5 (spread around the mean), FEATURE=+3 (add), FEATURE=VALUE (set; "
    "null for nulls). Repeatable.",
)
@click.option("--seed", type=int, default=None, help="Seed for choosing the invalid requests.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def traffic(
    project_dir: Path,
    env: str | None,
    name: str | None,
    rate: float,
    duration: float,
    max_requests: int | None,
    split: str,
    run_id: str | None,
    invalid_fraction: float,
    target_variant: str | None,
    shifts: tuple[str, ...],
    seed: int | None,
    as_json: bool,
) -> None:
    """Send requests built from a run's validation rows to the endpoint; summarise per variant."""
    from stainless.pipeline.replay import replay_run

    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one log line per request
    replay = replay_run(
        load(project_dir, env),
        endpoint_name=name,
        split=split,
        run_id=check_run_id(run_id) if run_id else None,
        rate=rate,
        duration=duration,
        max_requests=max_requests,
        invalid_fraction=invalid_fraction,
        target_variant=target_variant,
        seed=seed,
        shifts=shifts,
    )
    if as_json:
        click.echo(json.dumps(replay.to_dict(), indent=2))
        return
    summary, endpoint_name, run_id = replay.summary, replay.endpoint, replay.run_id
    table = Table(
        title=f"{summary.sent} requests to {endpoint_name} in {summary.duration_s:.1f}s"
        f" ({summary.invalid_sent} deliberately invalid; rows of run {run_id})"
    )
    for column in ("variant", "requests", "2xx", "client 4xx", "model 5xx", "p50 ms", "p95 ms"):
        table.add_column(column)
    for variant, tally in sorted(summary.variants.items()):
        stats = tally.to_counters()
        table.add_row(
            variant,
            str(stats.requests),
            str(stats.ok),
            str(stats.client_errors),
            str(stats.model_errors),
            f"{stats.latency_p50_ms or 0:.1f}",
            f"{stats.latency_p95_ms or 0:.1f}",
        )
    Console().print(table)
