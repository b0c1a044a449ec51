"""`stainless container`: build (and push) the model's image; the image's own entry point."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from stainless.cli.options import project_dir_option


@click.group()
def container() -> None:
    """The model's Docker image (SageMaker contract: `docker run IMAGE train|serve`)."""


@container.command()
@project_dir_option("Model repository (folder with model.yaml and Dockerfile).")
@click.option("--tag", default=None, help="Image name[:tag] (default: <model>:<git sha>|latest).")
@click.option(
    "--base-image",
    envvar="STAINLESS_BASE_IMAGE",
    default=None,
    help="BASE_IMAGE build argument (default: the Dockerfile's, python:3.11-slim).",
)
@click.option(
    "--push",
    "registry",
    default=None,
    metavar="REGISTRY",
    help="Also tag as REGISTRY/<tag> and push, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com.",
)
@click.option(
    "--extras",
    default=None,
    help="stainless extras to install, comma separated (default: from model.yaml's backends).",
)
@click.option(
    "--framework-wheel",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="A prebuilt stainless wheel (default: built from the installed stainless).",
)
@click.option(
    "--python-version",
    default="3.11",
    show_default=True,
    help="Python of the base image (wheels are chosen for it).",
)
@click.option("--refresh-wheels", is_flag=True, help="Re-resolve dependencies on the index.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def build(
    project_dir: Path,
    tag: str | None,
    base_image: str | None,
    registry: str | None,
    extras: str | None,
    framework_wheel: Path | None,
    python_version: str,
    refresh_wheels: bool,
    as_json: bool,
) -> None:
    """Build the image from the project's Dockerfile; prints the image id.

    Dependencies are installed from a wheelhouse prepared on this machine (cached in
    ~/.cache/stainless/wheels), so the build itself needs no network access.
    """
    from stainless.container.build import BuildRequest, build_image, parse_extras

    built = build_image(
        BuildRequest(
            project_dir,
            tag,
            base_image,
            registry,
            parse_extras(extras) if extras is not None else None,
            framework_wheel,
            python_version,
            refresh_wheels,
        )
    )
    if built.pushed:
        click.echo(f"pushed {built.pushed}", err=True)
    result = {"image_id": built.image_id, "tag": built.tag, "pushed": built.pushed}
    click.echo(json.dumps(result) if as_json else built.image_id)


@container.command()
@click.argument("registry")
@click.option("--region", default=None, help="AWS region (default: from the registry address).")
@click.option("--registry-id", default=None, help="AWS account of the registry (default: ditto).")
def login(registry: str, region: str | None, registry_id: str | None) -> None:
    """Log Docker in to an ECR REGISTRY (123456789012.dkr.ecr.REGION.amazonaws.com) with the
    current AWS credentials; the token goes straight to `docker login`, never to the output."""
    from stainless.container import docker_engine

    docker_engine.ecr_login(registry, region=region, registry_id=registry_id)
    click.echo(f"logged in to {registry}", err=True)


@container.command()
@project_dir_option("Model repository (folder with pyproject.toml).")
def requirements(project_dir: Path) -> None:
    """Print the model's own dependencies ([project].dependencies of pyproject.toml) without
    stainless, one per line: `pip install -r <(stainless container requirements)`."""
    from stainless.container import wheelhouse

    for requirement in wheelhouse.project_requirements(project_dir):
        click.echo(requirement)


@container.command(context_settings={"ignore_unknown_options": True})
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@project_dir_option("Model repository inside the image (its WORKDIR).", must_exist=False)
def entrypoint(command: tuple[str, ...], project_dir: Path) -> None:
    """The image's ENTRYPOINT: `train` (SageMaker training job) or `serve` (endpoint).

    Reads /opt/ml/input/data/<channel>/ and input/config/hyperparameters.json, writes
    /opt/ml/model (or /opt/ml/output/failure); serve listens on 8080 or $SAGEMAKER_BIND_TO_PORT
    with $SAGEMAKER_MODEL_SERVER_WORKERS workers. $STAINLESS_OPT_ML moves /opt/ml.
    """
    from stainless.container.serve_entry import run
    from stainless.container.train_entry import train_into_opt_ml

    sys.exit(run(list(command), train_into_opt_ml, project_dir))
