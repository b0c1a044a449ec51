"""`stainless update`: the template's improvements into a generated repository."""

from __future__ import annotations

from pathlib import Path

import click

from stainless.cli.options import project_dir_option


@click.command()
@project_dir_option("The model repository (a clean git working tree).")
def update(project_dir: Path) -> None:
    """Three-way merge of the installed template's changes to the framework-owned files
    (Dockerfile, CI, pre-commit, ignore files...) with your edits; see docs/template-updates.md.
    Conflicts are left as conflict markers (or .rej files) and exit with code 1."""
    from stainless.project.template import update_repository

    result = update_repository(project_dir)
    if result.up_to_date:
        click.echo("already up to date with the installed template")
        return
    for path in result.changed:
        mark = "CONFLICT" if path in result.conflicts else "updated "
        click.echo(f"{mark} {path}")
    if result.conflicts:
        click.echo(
            f"{len(result.conflicts)} conflict(s): resolve the <<<<<<< / >>>>>>> markers (or the "
            ".rej files), then review with `git diff` and commit",
            err=True,
        )
        raise SystemExit(1)
    click.echo("review with `git diff`, run `stainless lock` if pyproject.toml changed, commit")
