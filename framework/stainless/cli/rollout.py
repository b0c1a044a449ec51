"""`stainless rollout start|tick|run|status|pause|resume|abort|promote`: the canary by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from stainless.cli.options import load, project_options
from stainless.core.errors import StainlessError
from stainless.workspace import Workspace


def _run_id(project: Workspace, run_id: str | None) -> str:
    """The given run, or the newest run that has a rollout."""
    from stainless.pipeline.rollout_state import latest_rollout

    found = run_id or latest_rollout(project.store)
    if found is None:
        raise StainlessError(
            "no rollout found",
            fix="deploy one with `stainless rollout start --run-id RUN` or `stainless run`",
        )
    return found


def _print(state: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({**state.to_dict(), "summary": state.summary}, indent=2, default=str))
        return
    console = Console()
    console.print(
        f"run {state.run_id}: version {state.candidate_version} "
        f"({state.candidate_variant}) vs {state.production_variant or '-'}: "
        f"[bold]{state.summary}[/bold]"
    )
    if state.decisions:
        table = Table(title="decisions")
        for column in ("step", "action", "target %", "reason"):
            table.add_column(column, overflow="fold")
        for decision in state.decisions[-10:]:
            table.add_row(
                str(decision.get("step_index", "")),
                decision["action"],
                f"{decision.get('target_weight', '')}",
                decision["reason"],
            )
        console.print(table)


def _command(name: str, help_text: str) -> Callable[[Callable[..., Any]], click.Command]:
    def wrap(function: Callable[..., Any]) -> click.Command:
        function = click.option("--json", "as_json", is_flag=True, help="Machine-readable.")(
            function
        )
        function = click.option(
            "--run-id", default=None, help="Run whose rollout to act on (default: the newest)."
        )(function)
        function = project_options(function)
        return rollout.command(name=name, help=help_text)(function)

    return wrap


@click.group()
def rollout() -> None:
    """Drive the canary rollout of an approved version (see docs/rollout.md)."""


@_command("start", "Deploy an approved version beside production (the deploy stage).")
@click.option("--skip-canary", is_flag=True, help="Give it all traffic at once.")
def start(
    project_dir: Path, env: str | None, run_id: str | None, as_json: bool, skip_canary: bool
) -> None:
    from stainless.pipeline.rollout_controller import start as start_rollout

    if not run_id:
        raise StainlessError("--run-id is required for start")
    project = load(project_dir, env)
    _print(start_rollout(project, run_id, skip_canary=skip_canary), as_json)


@_command("tick", "Look at the traffic once and advance, roll back or wait.")
def tick(project_dir: Path, env: str | None, run_id: str | None, as_json: bool) -> None:
    from stainless.pipeline.rollout_controller import tick as tick_rollout

    project = load(project_dir, env)
    _print(tick_rollout(project, _run_id(project, run_id)), as_json)


@_command("run", "Tick until the rollout ends (optionally replaying demo traffic).")
@click.option(
    "--traffic/--no-traffic",
    default=False,
    show_default=True,
    help="Replay the run's validation rows against the local endpoint.",
)
@click.option("--rate", type=float, default=200.0, show_default=True)
def run(
    project_dir: Path,
    env: str | None,
    run_id: str | None,
    as_json: bool,
    traffic: bool,
    rate: float,
) -> None:
    from stainless.pipeline.rollout_driver import drive_rollout

    project = load(project_dir, env)
    console = Console(stderr=True)
    state = drive_rollout(
        project,
        _run_id(project, run_id),
        traffic=traffic,
        rate=rate,
        on_tick=lambda s: console.print(f"  {s.summary}"),
    )
    _print(state, as_json)


@_command("status", "Show the rollout's state and its last decisions.")
def status(project_dir: Path, env: str | None, run_id: str | None, as_json: bool) -> None:
    from stainless.pipeline.rollout_state import load_state

    project = load(project_dir, env)
    run = _run_id(project, run_id)
    state = load_state(project.store, run)
    if state is None:
        raise StainlessError(f"run {run} has no rollout")
    _print(state, as_json)


@_command("pause", "Hold the weights (a regression still rolls back).")
def pause(project_dir: Path, env: str | None, run_id: str | None, as_json: bool) -> None:
    from stainless.pipeline.rollout_controller import pause as pause_rollout

    project = load(project_dir, env)
    _print(pause_rollout(project, _run_id(project, run_id)), as_json)


@_command("resume", "Let a paused rollout move on again.")
def resume(project_dir: Path, env: str | None, run_id: str | None, as_json: bool) -> None:
    from stainless.pipeline.rollout_controller import resume as resume_rollout

    project = load(project_dir, env)
    _print(resume_rollout(project, _run_id(project, run_id)), as_json)


@_command("abort", "Roll the candidate back now (finalize then removes it).")
@click.option("--reason", default="aborted by a person", show_default=True)
def abort(
    project_dir: Path, env: str | None, run_id: str | None, as_json: bool, reason: str
) -> None:
    from stainless.pipeline.rollout_controller import abort as abort_rollout
    from stainless.pipeline.stages import Finalize

    project = load(project_dir, env)
    run = _run_id(project, run_id)
    state = abort_rollout(project, run, reason)
    Finalize().run(project, run)
    _print(state, as_json)


@_command("promote", "Give the candidate all traffic now and make it production.")
@click.option("--reason", default="promoted manually", show_default=True)
def promote(
    project_dir: Path, env: str | None, run_id: str | None, as_json: bool, reason: str
) -> None:
    from stainless.pipeline.rollout_controller import force_promote
    from stainless.pipeline.stages import Finalize

    project = load(project_dir, env)
    run = _run_id(project, run_id)
    state = force_promote(project, run, reason)
    Finalize().run(project, run)
    _print(state, as_json)
