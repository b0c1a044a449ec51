"""`stainless endpoint ...`: run a model's endpoint (router + one server per variant) locally,
and change its variants the way SageMaker's control plane does."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from stainless.backends.endpoints import Endpoint
from stainless.cli.options import load, project_options
from stainless.workspace import Workspace
from stainless.workspace.variants import registry_variant

name_option = click.option(
    "--name", default=None, help="Endpoint name (default: the model's name from model.yaml)."
)


def open_project_endpoint(project: Workspace, name: str | None) -> Endpoint:
    return project.endpoint_named(name)


@click.group()
def endpoint() -> None:
    """Run the model's endpoint on this machine: a router with weighted production variants,
    speaking the SageMaker runtime wire format (see docs/endpoint.md)."""


@endpoint.command()
@project_options
@name_option
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def up(project_dir: Path, env: str | None, name: str | None, as_json: bool) -> None:
    """Start the endpoint (or restart what died); it serves the production version at first."""
    project = load(project_dir, env)
    target = open_project_endpoint(project, name)
    initial = None if target.status().variants else registry_variant(project, None, 1.0)
    target.up(initial)
    _show(target, as_json, window_s=None)


@endpoint.command()
@project_options
@name_option
def down(project_dir: Path, env: str | None, name: str | None) -> None:
    """Stop the router and every variant (the traffic counters are kept)."""
    project = load(project_dir, env)
    if name is None or name == project.name:
        from stainless.pipeline.endpoint_history import stop_endpoint

        stop_endpoint(project)  # and record it: a stopped endpoint costs nothing
    else:
        open_project_endpoint(project, name).down()
    click.echo(f"endpoint {name or project.name} stopped")


@endpoint.command()
@project_options
@name_option
@click.option(
    "--window",
    "window_s",
    type=float,
    default=300.0,
    show_default=True,
    help="Counters over the last this many seconds (0: all).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(
    project_dir: Path, env: str | None, name: str | None, window_s: float, as_json: bool
) -> None:
    """Is it running, which variants at which weights, are they healthy, and their traffic."""
    project = load(project_dir, env)
    _show(open_project_endpoint(project, name), as_json, window_s or None)


@endpoint.command("add-variant")
@project_options
@name_option
@click.option("--version", "version", type=int, required=True, help="Registry version to serve.")
@click.option("--weight", type=float, default=0.0, show_default=True)
@click.option("--variant", "variant_name", default=None, help="Variant name (default: v<VERSION>).")
def add_variant(
    project_dir: Path,
    env: str | None,
    name: str | None,
    version: int,
    weight: float,
    variant_name: str | None,
) -> None:
    """Serve another registry version as a new variant (waits until it is healthy)."""
    project = load(project_dir, env)
    spec = registry_variant(project, version, weight, variant_name)
    open_project_endpoint(project, name).add_variant(spec)
    click.echo(f"variant {spec.name} (version {spec.version}) added at weight {weight:g}")


@endpoint.command("set-weights")
@project_options
@name_option
@click.argument("weights", nargs=-1, required=True)
def set_weights(
    project_dir: Path, env: str | None, name: str | None, weights: tuple[str, ...]
) -> None:
    """Set relative weights, e.g. `stainless endpoint set-weights v1=0.9 v2=0.1`."""
    parsed: dict[str, float] = {}
    for item in weights:
        variant, _, value = item.partition("=")
        try:
            parsed[variant] = float(value)
        except ValueError:
            raise click.BadParameter(
                f"{item!r} is not VARIANT=WEIGHT", param_hint="WEIGHTS"
            ) from None
    project = load(project_dir, env)
    open_project_endpoint(project, name).set_weights(parsed)
    click.echo("weights: " + ", ".join(f"{k}={v:g}" for k, v in parsed.items()))


@endpoint.command("remove-variant")
@project_options
@name_option
@click.argument("variant")
def remove_variant(project_dir: Path, env: str | None, name: str | None, variant: str) -> None:
    """Stop routing to a variant, then stop its server."""
    project = load(project_dir, env)
    open_project_endpoint(project, name).remove_variant(variant)
    click.echo(f"variant {variant} removed")


@endpoint.command("router", hidden=True)
@click.option("--state", "state_db", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, required=True)
def router(state_db: Path, host: str, port: int) -> None:
    """The router process the local endpoint starts (not for direct use)."""
    from stainless.backends.endpoints.local.router import run_router

    run_router(state_db, host, port)


def _show(target: Endpoint, as_json: bool, window_s: float | None) -> None:
    state = target.status()
    since = time.time() - window_s if window_s else None
    counters = target.counters(since) if state.url else {}
    if as_json:
        payload = state.to_dict()
        payload["counters"] = {k: v.to_dict() for k, v in counters.items()}
        payload["counters_window_s"] = window_s
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    console = Console()
    where = state.url or "never started"
    running = "[green]running[/green]" if state.running else "[red]not running[/red]"
    console.print(f"endpoint [bold]{state.name}[/bold]: {running} at {where}")
    if state.url:
        console.print(
            f"  boto3: invoke_endpoint(EndpointName={state.name!r}) with endpoint_url={state.url!r}"
        )
    table = Table(
        title="variants" + (f" (traffic over the last {window_s:g}s)" if window_s else "")
    )
    for column in (
        "variant",
        "version",
        "weight",
        "healthy",
        "url",
        "requests",
        "2xx",
        "client 4xx",
        "model 5xx",
        "p50 ms",
        "p95 ms",
    ):
        table.add_column(column)
    for info in state.variants:
        c = counters.get(info.name)
        numbers = (
            [
                str(c.requests),
                str(c.ok),
                str(c.client_errors),
                str(c.model_errors),
                _ms(c.latency_p50_ms),
                _ms(c.latency_p95_ms),
            ]
            if c
            else ["-"] * 6
        )
        table.add_row(
            info.name,
            str(info.version),
            f"{info.weight:g}",
            "[green]yes[/green]" if info.healthy else "[red]no[/red]",
            info.url,
            *numbers,
        )
    console.print(table)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
