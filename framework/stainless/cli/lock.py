"""`stainless lock`: write requirements.lock, or check that it is current (CI)."""

from __future__ import annotations

from pathlib import Path

import click

from stainless.cli.options import project_dir_option


@click.command()
@project_dir_option()
@click.option(
    "--check",
    is_flag=True,
    help="Fail (exit 1) if requirements.lock is missing or older than pyproject.toml; no network.",
)
def lock(project_dir: Path, check: bool) -> None:
    """Pin every dependency of the model repository (requirements.lock, with hashes) for the
    image, CI and the training job; see docs/dependencies.md."""
    from stainless.project.lock import check_lock, write_lock

    if check:
        status = check_lock(project_dir)
        click.echo(f"{status.path.name} is current (inputs {status.expected[:12]})")
        return
    written = write_lock(project_dir)
    click.echo(f"wrote {written}; commit it with pyproject.toml")
