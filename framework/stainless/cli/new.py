"""`stainless new`: a new model repository from the bundled cookiecutter template."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import click

from stainless.core.errors import StainlessError

ANSWER_ERROR = 2  # like a usage error: the answers, not the machine, need changing


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

    template = template_dir()
    questions = {
        key: value
        for key, value in json.loads((template / "cookiecutter.json").read_text()).items()
        if not key.startswith("_")
    }
    extra: dict[str, str] = {}
    bad: list[str] = []
    for answer in answers:
        key, sep, value = answer.partition("=")
        if not sep or not key:
            bad.append(f"bad answer: {answer!r} is not KEY=VALUE, e.g. metric=rmse")
        elif key not in questions:
            bad.append(f"bad answer: {key!r} is not a question; known: {', '.join(questions)}")
        elif isinstance(questions[key], list) and value not in questions[key]:
            bad.append(f"bad answer: {key} {value!r}: choose one of {', '.join(questions[key])}")
        else:
            extra[key] = value
    if bad:
        click.echo("\n".join(bad), err=True)
        raise SystemExit(ANSWER_ERROR)
    # cookiecutter logs a failed hook with logger.exception (an ERROR line and a traceback);
    # the hook has already said, one line per bad answer, what to change.
    hooks_log = logging.getLogger("cookiecutter.hooks")
    was_disabled, hooks_log.disabled = hooks_log.disabled, True
    try:
        created = cookiecutter(
            str(template),
            no_input=no_input,
            extra_context=extra,
            output_dir=str(output_dir),
            overwrite_if_exists=overwrite,
        )
    except FailedHookException:
        raise SystemExit(ANSWER_ERROR) from None
    except CookiecutterException as exc:
        raise StainlessError(str(exc)) from None
    finally:
        hooks_log.disabled = was_disabled
    click.echo(f"created {created}")
    click.echo(
        "next: cd into it, edit preprocess.py, train.py, model.py and schemas.json, "
        "then `stainless run`"
    )
