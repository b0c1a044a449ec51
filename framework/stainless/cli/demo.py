"""`stainless demo`: the whole local lifecycle on the example model, start to finish."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import click
from rich.console import Console
from rich.rule import Rule

from stainless.cli.options import load


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to generate the example (default: a new temp dir).",
)
@click.option("--in-process", is_flag=True, help="Run stages in this process (faster).")
def demo(directory: Path | None, in_process: bool) -> None:
    """Generate the example model, run its lifecycle twice, show the registry."""
    from cookiecutter.main import cookiecutter

    from stainless.cli.run import show_report
    from stainless.cli.versions import versions_table
    from stainless.core.ids import new_run_id
    from stainless.pipeline.runner import run_lifecycle
    from stainless.project.template import template_dir

    console = Console()
    root = directory or Path(tempfile.mkdtemp(prefix="stainless-demo-"))
    project_dir = Path(
        cookiecutter(
            str(template_dir()), no_input=True, output_dir=str(root), overwrite_if_exists=True
        )
    )
    console.print(Rule("stainless demo"))
    console.print(f"example model generated in [cyan]{project_dir}[/cyan]")
    console.print("the data scientist edits only preprocess.py, train.py, model.py, schemas.json")
    project = load(project_dir, None)
    for attempt, title in enumerate(
        ("first version: nothing in production yet", "second version: compared with production"),
        start=1,
    ):
        console.print(Rule(f"run {attempt}: {title}"))
        started = time.monotonic()
        report = run_lifecycle(
            project,
            new_run_id(),
            in_process=in_process,
            on_stage=lambda stage, state: (
                state == "start" and console.print(f"[bold]▶ {stage}[/bold]")
            ),
        )
        show_report(console, project.config.metric, report, time.monotonic() - started)
        if not report.ok:
            raise click.ClickException(f"run {attempt} failed: {report.error}")
    console.print(Rule("registry"))
    console.print(versions_table(project))
    console.print(f"\nexplore: cd {project_dir} && stainless versions")
