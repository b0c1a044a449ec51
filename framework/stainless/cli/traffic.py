"""`stainless traffic`: replay a run's validation rows as requests against the model's endpoint."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from stainless.cli.endpoint import name_option, open_project_endpoint
from stainless.cli.options import load, project_options
from stainless.core.errors import StageError, StainlessError
from stainless.core.ids import check_run_id
from stainless.pipeline.evaluate import rows_as_requests
from stainless.pipeline.layout import dataset_key
from stainless.pipeline.preprocess import load_split
from stainless.pipeline.project import Project


def latest_run_with(project: Project, split: str) -> str:
    """The newest run (run ids sort by time) whose ``split`` dataset is in the store."""
    runs = sorted(
        key.split("/")[1]
        for key in project.store.list("runs")
        if key.endswith(f"/datasets/{split}.parquet")
    )
    if not runs:
        raise StageError(
            f"no run of {project.name} has a {split} split in the store",
            fix="run `stainless run` (or `stainless preprocess`) first",
        )
    return runs[-1]


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
    from stainless.serving.traffic import Shift, drive, shift_requests

    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one log line per request
    project = load(project_dir, env)
    run_id = check_run_id(run_id) if run_id else latest_run_with(project, split)
    if not project.store.exists(dataset_key(run_id, split)):
        raise StageError(
            f"run {run_id} has no {split} split in the store",
            fix="pick another run with --run-id (see the store's runs/ folder)",
        )
    requests = rows_as_requests(load_split(project, run_id, split), project.config.target)
    if shifts:
        try:
            requests = shift_requests(requests, [Shift.parse(text) for text in shifts])
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--shift") from None
    target = open_project_endpoint(project, name)
    endpoint_name = name or project.name
    if not target.status().running:
        raise StainlessError(
            f"endpoint {endpoint_name} is not running",
            fix=f"start it with `stainless endpoint up -C {project_dir}`",
        )
    summary = drive(
        target.url,
        requests,
        rate,
        duration,
        max_requests=max_requests,
        invalid_fraction=invalid_fraction,
        endpoint_name=endpoint_name,
        target_variant=target_variant,
        seed=seed,
    )
    if as_json:
        click.echo(
            json.dumps(
                {"endpoint": endpoint_name, "run_id": run_id, "split": split, **summary.to_dict()},
                indent=2,
            )
        )
        return
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
