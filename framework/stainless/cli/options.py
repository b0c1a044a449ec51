"""Options shared by several commands."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from stainless.core.errors import ConfigError
from stainless.project.yaml_file import load_yaml
from stainless.workspace import Workspace, open_workspace


def project_dir_option(
    help_text: str = "The model repository.", must_exist: bool = True
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``-C/--project-dir``, the model repository (default: the current folder)."""
    return click.option(
        "-C",
        "--project-dir",
        "project_dir",
        type=click.Path(file_okay=False, exists=must_exist, path_type=Path),
        default=Path("."),
        show_default=True,
        help=help_text,
    )


def project_options(function: Callable[..., Any]) -> Callable[..., Any]:
    # Not checked by click: opening the workspace says which file is missing and how to fix it.
    function = project_dir_option("Model repository (folder with model.yaml).", must_exist=False)(
        function
    )
    return click.option(
        "--env",
        "env",
        default=None,
        envvar="STAINLESS_ENV",
        help="Named environment of model.yaml `environments:` (backend URIs), e.g. aws.",
    )(function)


def param_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-p",
        "--param",
        "params",
        multiple=True,
        metavar="KEY=VALUE",
        callback=_apply_params,
        expose_value=False,
        help="Override params: of model.yaml for this run (value parsed as YAML), repeatable.",
    )(function)


def _apply_params(ctx: click.Context, option: click.Parameter, values: tuple[str, ...]) -> None:
    if not values:
        return
    previous = os.environ.get("STAINLESS_PARAMS")
    overrides = json.loads(previous or "{}")
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", ctx=ctx, param=option)
        try:
            overrides[key] = load_yaml(raw, file=f"--param {key}")
        except ConfigError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=option) from None
    # Through the environment, so stage subprocesses see the same params; restored when the
    # command ends, so an in-process caller (tests, the demo) is not left with them.
    os.environ["STAINLESS_PARAMS"] = json.dumps(overrides)
    ctx.call_on_close(lambda: _restore("STAINLESS_PARAMS", previous))


def _restore(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def load(project_dir: Path, env: str | None) -> Workspace:
    return open_workspace(project_dir, env=env)
