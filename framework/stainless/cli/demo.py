"""`stainless demo`: parse, call stainless.demo.run_demo, print what it reports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.rule import Rule

if TYPE_CHECKING:
    from stainless.demo import DemoRun
    from stainless.pipeline.monitor_result import MonitorResult
    from stainless.pipeline.runner import RunReport
    from stainless.workspace import Workspace

SHOWN = 160  # characters of a Slack message shown


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where to generate the example (default: a new temp dir).",
)
@click.option("--in-process", is_flag=True, help="Run stages in this process (faster).")
@click.option("--keep-endpoint", is_flag=True, help="Leave the local endpoint running.")
def demo(directory: Path | None, in_process: bool, keep_endpoint: bool) -> None:
    """Generate the example model and take three versions through the whole lifecycle."""
    from stainless.cli.versions import versions_table
    from stainless.demo import run_demo

    console = Console()
    result = run_demo(ConsoleView(console), directory, in_process, keep_endpoint)
    console.print(Rule("registry"))
    console.print(versions_table(result.workspace))
    if result.last_run.report is not None:
        # One line, never wrapped: people copy it, scripts read it.
        console.print(
            f"\nrun report: {result.last_run.report.path}", soft_wrap=True, highlight=False
        )
    console.print(
        f"\nexplore: cd {result.project_dir} && stainless versions"
        + ("" if keep_endpoint else " (endpoint stopped; --keep-endpoint keeps it)")
    )


class ConsoleView:
    """Prints each step of the demo as it happens (a stainless.demo.DemoView)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def generated(self, project_dir: Path) -> None:
        self.console.print(Rule("stainless demo"))
        self.console.print(f"example model generated in [cyan]{project_dir}[/cyan]")
        self.console.print(
            "a data scientist edits only preprocess.py, train.py, model.py, schemas.json"
        )

    def run_started(self, attempt: int, run: DemoRun) -> None:
        self.console.print(Rule(f"run {attempt}: {run.title}"))

    def stage(self, stage: str, state: str) -> None:
        if state == "start":
            self.console.print(f"[bold]▶ {stage}[/bold]")

    def tick(self, summary: str) -> None:
        self.console.print(f"  {summary}")

    def run_finished(
        self, workspace: Workspace, report: RunReport, seconds: float, slack: list[str]
    ) -> None:
        from stainless.cli.run import show_report

        show_report(self.console, workspace.config.metric, report, seconds)
        self.console.print("[bold]Slack #ml-models:[/bold]")
        self._messages(slack)

    def monitoring_started(self) -> None:
        self.console.print(
            Rule("monitoring: is production's traffic still like its training data?")
        )

    def monitored(self, label: str, result: MonitorResult) -> None:
        moved = ", ".join(result.drift.drifted) or "nothing"
        self.console.print(
            f"▶ stainless monitor after {result.rows} requests of {label}: "
            f"[bold]{result.status}[/bold] (moved: {moved})"
        )
        for feature in result.drift.features:
            if feature.drifted:
                self.console.print(f"  {feature.summary()}")

    def monitoring_finished(self, slack: list[str], report_url: str) -> None:
        self.console.print("[bold]Slack #ml-models:[/bold]")
        self._messages(slack)
        self.console.print(f"report: {report_url}")

    def digest(self, slack: list[str]) -> None:
        self.console.print(Rule("daily cost digest"))
        self._messages(slack)

    def _messages(self, slack: list[str]) -> None:
        for text in slack:
            self.console.print(f"  💬 {text[:SHOWN]}")
