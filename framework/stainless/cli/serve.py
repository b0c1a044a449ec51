"""`stainless serve`: the inference server (what the container's `serve` runs)."""

from __future__ import annotations

from pathlib import Path

import click

from stainless.cli.options import project_options


@click.command()
@project_options
@click.option(
    "--artifacts",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Extracted model directory (as /opt/ml/model) or a model.tar.gz.",
)
@click.option(
    "--version",
    "version",
    type=int,
    default=None,
    help="Registry version to serve (default: the production version).",
)
@click.option(
    "--model-version",
    envvar="STAINLESS_MODEL_VERSION",
    default=None,
    help="Version reported in X-Stainless-Model-Version when serving --artifacts.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind (0.0.0.0 inside a container).",
)
@click.option("--port", type=int, default=8080, show_default=True, envvar="SAGEMAKER_BIND_TO_PORT")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Server processes (default: serving.workers in model.yaml, else resources.serve.cpus).",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(
    project_dir: Path,
    env: str | None,
    artifacts: Path | None,
    version: int | None,
    model_version: str | None,
    host: str,
    port: int,
    workers: int | None,
    log_level: str,
) -> None:
    """Serve one model: GET /ping, POST /invocations, GET /metrics (see docs/serving.md)."""
    from stainless.serving.server import ServeRequest
    from stainless.serving.server import serve as serve_model

    if artifacts is not None and version is not None:
        raise click.UsageError("pass either --artifacts or --version, not both")
    request = ServeRequest(
        project_dir, env, artifacts, version, model_version, host, port, workers, log_level
    )
    serve_model(request, announce=lambda line: click.echo(line, err=True))
