"""`stainless demo`: the whole local lifecycle on the example model, start to finish.

Three versions of the example: a deliberately weak first one (promoted: nothing to compare
with), a better second one (approved, rolled out step by step, promoted), and a third that is
better offline but fails 20 % of live requests (approved, then rolled back by the canary).
Notifications go to a local Slack stub through the real Slack client, and are shown. Last,
monitoring: production's captured traffic is checked twice, once as it came and once after the
demo shifts one feature of the replayed requests; the second check names that feature.
"""

from __future__ import annotations

import html
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.rule import Rule

RUNS = (
    ("a weak first version (alpha=300): nothing in production yet", {"alpha": 300}, 0.0),
    ("a better version (alpha=30): canary rollout, then promoted", {"alpha": 30}, 0.0),
    (
        "better offline, but 20% of live requests fail: the canary rolls it back",
        {"alpha": 1},
        0.2,
    ),
)
# The faulty version is a drill: the framework's serving.chaos setting, recorded with the
# version at training and applied by its server (the example model itself stays clean).
CHAOS = "\nserving:\n  chaos:\n    error_rate: {rate}\n"


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
    import json

    from cookiecutter.main import cookiecutter

    from stainless.cli.options import load
    from stainless.cli.run import show_report
    from stainless.cli.versions import versions_table
    from stainless.core.ids import new_run_id
    from stainless.pipeline.runner import RolloutOptions, run_lifecycle
    from stainless.project.template import template_dir
    from stainless.testing.slack_stub import SlackStub

    console = Console()
    root = directory or Path(tempfile.mkdtemp(prefix="stainless-demo-"))
    project_dir = Path(
        cookiecutter(
            str(template_dir()), no_input=True, output_dir=str(root), overwrite_if_exists=True
        )
    )
    # Capture every request (the default samples 5 %) so the monitoring step has enough rows
    # within seconds (the example's validation split is 160 rows; a check needs 100).
    with (project_dir / "model.yaml").open("a") as config:
        config.write(
            "\n# Added by `stainless demo`: capture all traffic for its monitoring step.\n"
            "serving:\n  capture_sample_rate: 1.0\n  capture_flush_seconds: 0.5\n"
        )
    console.print(Rule("stainless demo"))
    console.print(f"example model generated in [cyan]{project_dir}[/cyan]")
    console.print("a data scientist edits only preprocess.py, train.py, model.py, schemas.json")
    with SlackStub() as slack:
        # The real Slack client, pointed at a local stub: what the team would see in Slack.
        os.environ.update(
            {
                "SLACK_BOT_TOKEN": slack.token,
                "SLACK_API_URL": slack.base_url,
                "STAINLESS_NOTIFY": "slack://#ml-models",
            }
        )
        project = load(project_dir, None)
        seen = 0
        model_yaml = project_dir / "model.yaml"
        original = model_yaml.read_text()
        try:
            for attempt, (title, params, error_rate) in enumerate(RUNS, start=1):
                console.print(Rule(f"run {attempt}: {title}"))
                os.environ["STAINLESS_PARAMS"] = json.dumps(params)
                drill = CHAOS.format(rate=error_rate) if error_rate else ""
                model_yaml.write_text(original + drill)
                project = load(project_dir, None)
                started = time.monotonic()
                report = run_lifecycle(
                    project,
                    new_run_id(),
                    in_process=in_process,
                    on_stage=lambda stage, state: (
                        console.print(f"[bold]▶ {stage}[/bold]") if state == "start" else None
                    ),
                    rollout=RolloutOptions(on_tick=lambda s: console.print(f"  {s.summary}")),
                )
                show_report(console, project.config.metric, report, time.monotonic() - started)
                console.print("[bold]Slack #ml-models:[/bold]")
                for message in slack.messages[seen:]:
                    # Slack escapes &, < and > in message text; show what people read.
                    console.print(f"  💬 {html.unescape(message.get('text', ''))[:160]}")
                seen = len(slack.messages)
                if not report.ok:
                    raise click.ClickException(f"run {attempt} failed: {report.error}")
            console.print(Rule("monitoring: is production's traffic still like its training data?"))
            seen = monitoring_step(console, project, slack, seen)
        finally:
            os.environ.pop("STAINLESS_PARAMS", None)
            model_yaml.write_text(original)
            if not keep_endpoint:
                from stainless.pipeline.endpoint_history import stop_endpoint

                stop_endpoint(project)
        # The daily cost digest (today's here, so the demo has something to show).
        from datetime import UTC, datetime

        from stainless.backends.notify.background import flush_notifications
        from stainless.pipeline.cost_summary import send_daily_digest

        console.print(Rule("daily cost digest"))
        send_daily_digest(project, datetime.now(UTC).date())
        # Notifications leave from a background queue: let the digest reach the stub before
        # it is shown (and before the stub shuts down).
        flush_notifications(project.notifier, timeout_s=10)
        for message in slack.messages[seen:]:
            console.print(f"  💬 {html.unescape(message.get('text', ''))[:160]}")
    console.print(Rule("registry"))
    console.print(versions_table(project))
    if report.report is not None:
        # One line, never wrapped: people copy it, scripts read it.
        console.print(f"\nrun report: {report.report.path}", soft_wrap=True, highlight=False)
    console.print(
        f"\nexplore: cd {project_dir} && stainless versions"
        + ("" if keep_endpoint else " (endpoint stopped; --keep-endpoint keeps it)")
    )


def monitoring_step(console: Console, project: Any, slack: Any, seen: int) -> int:
    """Production's validation rows as they are, then with area_sqm shifted by two standard
    deviations; a monitoring check after each: no alert, then one naming area_sqm."""
    from stainless.backends.notify.background import flush_notifications
    from stainless.pipeline.monitor import check_after_replay

    for label, shifts in (
        ("traffic as it came", ()),
        ("traffic with area_sqm shifted up by 2 standard deviations", ("area_sqm=+2sd",)),
    ):
        result = check_after_replay(project, shifts)
        moved = ", ".join(result.drift.drifted) or "nothing"
        console.print(
            f"▶ stainless monitor after {result.rows} requests of {label}: "
            f"[bold]{result.status}[/bold] (moved: {moved})"
        )
        for feature in result.drift.features:
            if feature.drifted:
                console.print(f"  {feature.summary()}")
    flush_notifications(project.notifier, timeout_s=10)  # alerts leave from a queue
    console.print("[bold]Slack #ml-models:[/bold]")
    for message in slack.messages[seen:]:
        console.print(f"  💬 {html.unescape(message.get('text', ''))[:160]}")
    console.print(f"report: {result.report_url}")
    return len(slack.messages)
