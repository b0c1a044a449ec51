"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from stainless.pipeline.project import Project, open_project


def project_options(function: Callable[..., Any]) -> Callable[..., Any]:
    function = click.option(
        "-C",
        "--project-dir",
        "project_dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="Model repository (folder with model.yaml).",
    )(function)
    return click.option(
        "--env",
        "env",
        default=None,
        envvar="STAINLESS_ENV",
        help="Named environment of model.yaml `environments:` (backend URIs), e.g. aws.",
    )(function)


def load(project_dir: Path, env: str | None) -> Project:
    return open_project(project_dir, env=env)
