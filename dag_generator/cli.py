"""`stainless dags render|upload|instance`: Airflow DAGs for model repositories.

Registered in ``stainless.cli.COMMANDS`` by module name (imported only when used): the CLI layer
never imports this top layer (the import-linter layers of docs/architecture.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import click
from stainless.core.errors import StainlessError


@click.group()
def dags() -> None:
    """Render a model's Airflow DAG (config as data + a stub) and ship it to Airflow."""


@dags.command()
@click.option(
    "-C",
    "--project-dir",
    "project_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=Path),
    default=(Path("."),),
    show_default=True,
    help="Model repository; repeat for several models.",
)
@click.option(
    "--target",
    type=click.Choice(["local", "aws"]),
    default="local",
    show_default=True,
    help="local: stages run in the Airflow worker with the embedded backends; "
    "aws: preprocess/train/evaluate run as SageMaker jobs in the model's image.",
)
@click.option(
    "--env",
    "env",
    default=None,
    envvar="STAINLESS_ENV",
    help="Environment of model.yaml `environments:` (default for aws: 'aws' if defined).",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the DAG files into (e.g. dags/).",
)
@click.option(
    "--image",
    envvar="STAINLESS_IMAGE",
    default=None,
    help="aws: the model's image URI (default $STAINLESS_IMAGE, at render or run time).",
)
@click.option(
    "--role-arn",
    envvar="STAINLESS_SAGEMAKER_ROLE",
    default=None,
    help="aws: IAM role of the SageMaker jobs (default $STAINLESS_SAGEMAKER_ROLE).",
)
@click.option(
    "--output-uri",
    envvar="STAINLESS_SAGEMAKER_OUTPUT",
    default=None,
    help="aws: s3:// prefix for SageMaker job output (default: <store>/sagemaker).",
)
@click.option(
    "--retries",
    type=click.IntRange(min=0),
    default=None,
    help="Retries per task, with exponential backoff (default 2).",
)
@click.option(
    "--rollout-interval",
    type=click.IntRange(min=1),
    default=None,
    help="Seconds between rollout ticks (default 300).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def render(
    project_dirs: tuple[Path, ...],
    target: str,
    env: str | None,
    out_dir: Path,
    image: str | None,
    role_arn: str | None,
    output_uri: str | None,
    retries: int | None,
    rollout_interval: int | None,
    as_json: bool,
) -> None:
    """Write two DAG files per model into --out: training and monitoring."""
    from stainless.project.config import load_config

    from dag_generator.render import write_dag
    from dag_generator.spec import build_monitor_spec, build_spec

    written = []
    seen: dict[str, Path] = {}
    for project_dir in project_dirs:
        config = load_config(project_dir, env=_env_for(project_dir, target, env))
        if config.name in seen:
            raise StainlessError(
                f"two projects are both named {config.name!r}",
                file=f"{project_dir}/model.yaml",
                key="name",
                fix=f"rename one of {seen[config.name]} and {project_dir}",
            )
        seen[config.name] = project_dir
        spec = build_spec(
            config,
            target,
            image=image,
            role_arn=role_arn,
            output_uri=output_uri,
            retries=retries,
            rollout_interval_s=rollout_interval,
        )
        path = write_dag(spec, out_dir)
        # Beside it, the model's monitoring DAG (checks on monitoring.schedule, may retrain).
        monitor = build_monitor_spec(config, target, retries=retries)
        monitor_path = write_dag(monitor, out_dir)
        written.append(
            {
                "model": config.name,
                "dag_id": spec["dag_id"],
                "path": str(path),
                "target": target,
                "env": spec["env"],
                "schedule": spec["schedule"],
                "retrain_asset": (spec["retrain_asset"] or {}).get("uri"),
                "monitor_dag_id": monitor["dag_id"],
                "monitor_path": str(monitor_path),
                "monitor_schedule": monitor["schedule"],
            }
        )
    if as_json:
        click.echo(json.dumps(written, indent=2))
    else:
        for row in written:
            click.echo(f"{row['dag_id']}: {row['path']} (target {target})")
            click.echo(f"{row['monitor_dag_id']}: {row['monitor_path']} (target {target})")


def _env_for(project_dir: Path, target: str, env: str | None) -> str | None:
    if env is not None or target != "aws":
        return env
    from stainless.project.config import load_config

    environments = load_config(project_dir, env=None)["environments"]
    return "aws" if "aws" in environments else None


@dags.command()
@click.option("--bucket", required=True, help="S3 bucket of the Airflow DAGs folder.")
@click.option("--prefix", default="dags", show_default=True, help="Key prefix (folder).")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
def upload(bucket: str, prefix: str, directory: Path) -> None:
    """Upload rendered DAG files to s3://BUCKET/PREFIX/ (unchanged files are skipped).

    Credentials and region come from the usual AWS environment; AWS_ENDPOINT_URL points it
    at another S3-compatible server.
    """
    from dag_generator.upload import upload_dags

    for item in upload_dags(directory, bucket, prefix):
        state = "uploaded" if item.changed else "unchanged"
        click.echo(f"{state}: s3://{bucket}/{item.key}")


@dags.command()
@click.option("--cpus", type=float, required=True, help="vCPUs the stage needs.")
@click.option("--memory-gb", type=float, required=True, help="Memory (GiB) the stage needs.")
@click.option(
    "--kind",
    type=click.Choice(["training", "processing", "endpoint"]),
    default="training",
    show_default=True,
)
def instance(cpus: float, memory_gb: float, kind: str) -> None:
    """The cheapest SageMaker instance type with enough CPUs and memory."""
    from stainless.backends.compute.instances import cheapest_instance

    picked = cheapest_instance(cpus, memory_gb, kind, key="--cpus/--memory-gb")
    click.echo(
        f"{picked.name}: {picked.vcpus} vCPUs, {picked.memory_gib:g} GiB, "
        f"~${picked.hourly_usd:.3f}/h"
    )
