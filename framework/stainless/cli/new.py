"""`stainless new`: a new model repository from the bundled cookiecutter template."""

from __future__ import annotations

from pathlib import Path

import click


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
@click.option(
    "--no-lock", is_flag=True, help="Skip requirements.lock (offline); run `stainless lock` later."
)
def new(
    answers: tuple[str, ...], no_input: bool, output_dir: Path, overwrite: bool, no_lock: bool
) -> None:
    """Create a model repository. Answers may be given as KEY=VALUE, e.g. model_name="House
    Prices" metric=rmse."""
    from stainless.project.template import AnswerError, answer_problems, create_repository

    extra: dict[str, str] = {}
    malformed = []
    for answer in answers:
        key, sep, value = answer.partition("=")
        if not sep or not key:
            malformed.append(f"bad answer: {answer!r} is not KEY=VALUE, e.g. metric=rmse")
        else:
            extra[key] = value
    try:
        if malformed:
            raise AnswerError(answer_problems(extra) + malformed)
        created = create_repository(extra, output_dir, no_input, overwrite, lock=not no_lock)
    except AnswerError as exc:
        if exc.lines:  # (a failed template hook has printed its own lines)
            click.echo(exc.render(), err=True)
        raise SystemExit(exc.exit_code) from None
    click.echo(f"created {created.path}")
    if created.lock_problem:
        click.echo(f"warning: no requirements.lock: {created.lock_problem}", err=True)
    if created.tracked is None:
        click.echo(
            "note: the template is not from git, so `stainless update` cannot follow it", err=True
        )
    click.echo(
        "next: cd into it, `git init && git add -A && git commit -m 'stainless new'`, edit "
        "preprocess.py, train.py, model.py and schemas.json, then `stainless run`"
    )
