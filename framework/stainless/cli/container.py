"""`stainless container`: build (and push) the model's image; the image's own entry point."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click

from stainless.core.errors import ConfigError

log = logging.getLogger("stainless.container")

# Inside the project, ignored by git; the template's .dockerignore lets only this through.
BUILD_DIR = Path(".stainless") / "container"
EXTRA_SCHEMES = {"aws": ("s3:", "sagemaker:"), "snowflake": ("snowflake:",), "slack": ("slack:",)}


@click.group()
def container() -> None:
    """The model's Docker image (SageMaker contract: `docker run IMAGE train|serve`)."""


@container.command()
@click.option(
    "-C",
    "--project-dir",
    "project_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Model repository (folder with model.yaml and Dockerfile).",
)
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
    from stainless.cli import docker_engine, wheelhouse
    from stainless.project import lock
    from stainless.project.config import load_config

    config = load_config(project_dir)
    if not (project_dir / "Dockerfile").is_file():
        raise ConfigError(
            "no Dockerfile in the model repository",
            file=str(project_dir / "Dockerfile"),
            fix="copy the Dockerfile and .dockerignore from a freshly generated project "
            "(`stainless new`)",
        )
    docker_engine.ensure_reachable()
    chosen = parse_extras(extras) if extras is not None else extras_for(config)
    staging = project_dir / BUILD_DIR
    if staging.exists():
        shutil.rmtree(staging)
    wheel = wheelhouse.build_framework_wheel(staging / "framework", framework_wheel)
    version = wheel.name.split("-")[1]
    # Third-party wheels and the framework's wheel apart: the Dockerfile installs them in two
    # layers, so a new framework (or an edit of it) leaves the big dependency layer cached.
    dependencies = wheelhouse.wheel_requirements(wheel, chosen, python_version)
    dependencies += wheelhouse.project_requirements(project_dir)
    lock_sha = lock.lock_digest(project_dir)
    if lock_sha is not None:  # the image installs exactly what CI tested and training used
        lock.check_lock(project_dir)
        dependencies = lock.with_pins(lock.pinned(project_dir), dependencies)
    (staging / "wheels").mkdir(parents=True)
    wheelhouse.download(dependencies, staging / "wheels", python_version, refresh_wheels)
    (staging / "requirements.txt").write_text("\n".join(dependencies) + "\n")

    image_tag = tag or f"{config.name}:{git_revision(project_dir) or 'latest'}"
    build_args = {"GIT_COMMIT": git_revision(project_dir, short=False) or ""}
    if base_image:
        build_args["BASE_IMAGE"] = base_image
    labels = {
        "org.opencontainers.image.title": config.name,
        "ai.stainless.version": version,
        "ai.stainless.extras": ",".join(sorted(chosen)),
        "ai.stainless.requirements-lock-sha256": lock_sha or "",
    }
    image_id = docker_engine.build(project_dir, [image_tag], build_args, labels)
    result = {"image_id": image_id, "tag": image_tag, "pushed": None}
    if registry:
        reference = f"{registry.rstrip('/')}/{image_tag}"
        docker_engine.tag(image_id, reference)
        docker_engine.push(reference)
        result["pushed"] = reference
        click.echo(f"pushed {reference}", err=True)
    click.echo(json.dumps(result) if as_json else image_id)


@container.command(context_settings={"ignore_unknown_options": True})
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.option(
    "-C",
    "--project-dir",
    "project_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Model repository inside the image (its WORKDIR).",
)
def entrypoint(command: tuple[str, ...], project_dir: Path) -> None:
    """The image's ENTRYPOINT: `train` (SageMaker training job) or `serve` (endpoint).

    Reads /opt/ml/input/data/<channel>/ and input/config/hyperparameters.json, writes
    /opt/ml/model (or /opt/ml/output/failure); serve listens on 8080 or $SAGEMAKER_BIND_TO_PORT
    with $SAGEMAKER_MODEL_SERVER_WORKERS workers. $STAINLESS_OPT_ML moves /opt/ml.
    """
    from stainless.cli.sagemaker_train import train_into_opt_ml
    from stainless.serving.entrypoint import run

    sys.exit(run(list(command), train_into_opt_ml, project_dir))


def parse_extras(text: str) -> set[str]:
    return {part.strip() for part in text.split(",") if part.strip()}


def extras_for(config: object) -> set[str]:
    """The extras the backends of every environment need (the image runs in all of them)."""
    raw = getattr(config, "raw", {})
    uris = [str(raw.get(key) or "") for key in ("data", "store", "registry", "notify")]
    for environment in (raw.get("environments") or {}).values():
        uris += [str(value) for value in (environment or {}).values()]
    return {
        extra
        for extra, schemes in EXTRA_SCHEMES.items()
        if any(uri.startswith(schemes) for uri in uris)
    }


def git_revision(project_dir: Path, short: bool = True) -> str | None:
    command = ["git", "rev-parse", *(["--short=12"] if short else []), "HEAD"]
    try:
        completed = subprocess.run(
            command,
            cwd=project_dir,
            capture_output=True,
            text=True,
            timeout=10,
            env={**os.environ, "GIT_DIR": str(project_dir / ".git")},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() or None if completed.returncode == 0 else None
