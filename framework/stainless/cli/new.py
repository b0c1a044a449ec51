"""`stainless new`: a new model repository from the bundled cookiecutter template."""

from __future__ import annotations

from pathlib import Path

import click

from stainless.core.errors import StainlessError


@click.command()
@click.argument("answers", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--no-input", is_flag=True, help="Do not ask; use defaults and KEY=VALUE answers.")
@click.option(
    "-o",
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Where to create the repository.",
)
@click.option("-f", "--overwrite", is_flag=True, help="Overwrite an existing directory.")
def new(answers: tuple[str, ...], no_input: bool, output_dir: Path, overwrite: bool) -> None:
    """Create a model repository. Answers may be given as KEY=VALUE, e.g. model_name="House
    Prices" metric=rmse."""
    from cookiecutter.exceptions import CookiecutterException, FailedHookException
    from cookiecutter.main import cookiecutter

    from stainless.project.template import template_dir

    extra: dict[str, str] = {}
    for answer in answers:
        key, sep, value = answer.partition("=")
        if not sep or not key:
            raise StainlessError(f"{answer!r} is not KEY=VALUE", fix="e.g. metric=rmse")
        extra[key] = value
    try:
        created = cookiecutter(
            str(template_dir()),
            no_input=no_input,
            extra_context=extra,
            output_dir=str(output_dir),
            overwrite_if_exists=overwrite,
        )
    except FailedHookException as exc:
        raise StainlessError(f"the answers were rejected: {exc}") from None
    except CookiecutterException as exc:
        raise StainlessError(str(exc)) from None
    click.echo(f"created {created}")
    click.echo(
        "next: cd into it, edit preprocess.py, train.py, model.py and schemas.json, "
        "then `stainless run`"
    )
