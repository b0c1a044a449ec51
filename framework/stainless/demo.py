"""`stainless demo`: the whole local lifecycle on the example model, start to finish.

Three versions of the example: a deliberately weak first one (promoted: nothing to compare
with), a better second one (approved, rolled out step by step, promoted), and a third that is
better offline but fails 20 % of live requests (approved, then rolled back by the canary).
Notifications go to a local Slack stub through the real Slack client. Last, monitoring:
production's captured traffic is checked twice, once as it came and once after the demo shifts
one feature of the replayed requests; the second check names that feature. Then the daily cost
digest.

This module does the work and reports each step to a :class:`DemoView`; the CLI's view prints
them. It sits above pipeline and testing (it borrows the testing package's Slack stub).
"""

from __future__ import annotations

import html
import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import yaml

from stainless.core.errors import StainlessError
from stainless.core.ids import new_run_id
from stainless.pipeline.monitor_result import MonitorResult
from stainless.pipeline.runner import RolloutOptions, RunReport, run_lifecycle
from stainless.project.config import CONFIG_FILE
from stainless.project.yaml_file import load_yaml
from stainless.testing.slack_stub import SlackStub
from stainless.workspace import Workspace, open_workspace


@dataclass(frozen=True)
class DemoRun:
    """One version the demo trains: what it shows, its params, the live error rate it drills."""

    title: str
    params: dict[str, float]
    error_rate: float


RUNS = (
    DemoRun("a weak first version (alpha=300): nothing in production yet", {"alpha": 300}, 0.0),
    DemoRun("a better version (alpha=30): canary rollout, then promoted", {"alpha": 30}, 0.0),
    DemoRun(
        "better offline, but 20% of live requests fail: the canary rolls it back",
        {"alpha": 1},
        0.2,
    ),
)
# The faulty version is a drill: the framework's serving.chaos setting, recorded with the
# version at training and applied by its server (the example model itself stays clean).
# Capture every request (the default samples 5 %) so the monitoring step has enough rows
# within seconds (the example's validation split is 160 rows; a check needs 100).
CAPTURE_ALL = {"capture_sample_rate": 1.0, "capture_flush_seconds": 0.5}
CAPTURE_NOTE = "# Added by `stainless demo`: capture all traffic for its monitoring step.\n"
SHIFTS = (
    ("traffic as it came", ()),
    ("traffic with area_sqm shifted up by 2 standard deviations", ("area_sqm=+2sd",)),
)
CHANNEL = "#ml-models"
FLUSH_S = 10.0  # notifications leave from a background queue: wait for them to reach the stub


class DemoView(Protocol):
    """What the demo reports, in order; the CLI prints each (tests may record them)."""

    def generated(self, project_dir: Path) -> None: ...

    def run_started(self, attempt: int, run: DemoRun) -> None: ...

    def stage(self, stage: str, state: str) -> None: ...

    def tick(self, summary: str) -> None: ...

    def run_finished(
        self, workspace: Workspace, report: RunReport, seconds: float, slack: list[str]
    ) -> None: ...

    def monitoring_started(self) -> None: ...

    def monitored(self, label: str, result: MonitorResult) -> None: ...

    def monitoring_finished(self, slack: list[str], report_url: str) -> None: ...

    def digest(self, slack: list[str]) -> None: ...


@dataclass(frozen=True)
class DemoResult:
    project_dir: Path
    workspace: Workspace
    last_run: RunReport
    endpoint_kept: bool


class DemoRunFailed(StainlessError):
    """One of the demo's runs failed: the framework or the example is broken, not the user."""


class _Inbox:
    """The Slack messages the stub received since the last look, as people read them."""

    def __init__(self, slack: SlackStub) -> None:
        self.slack = slack
        self.seen = 0

    def new(self) -> list[str]:
        messages = self.slack.messages[self.seen :]
        self.seen = len(self.slack.messages)
        # Slack escapes &, < and > in message text; show what people read.
        return [html.unescape(message.get("text", "")) for message in messages]


def generate_example(root: Path) -> Path:
    """The template's example model, baked into ``root``, capturing all of its traffic."""
    from cookiecutter.main import cookiecutter

    from stainless.project.template import template_dir

    project_dir = Path(
        cookiecutter(
            str(template_dir()), no_input=True, output_dir=str(root), overwrite_if_exists=True
        )
    )
    model_yaml = project_dir / "model.yaml"
    model_yaml.write_text(with_serving(model_yaml.read_text(), CAPTURE_ALL, note=CAPTURE_NOTE))
    return project_dir


def drill_config(model_yaml: str, run: DemoRun) -> str:
    """``model.yaml``'s text for ``run``: its chaos drill, if any, beside the serving settings
    already there (a second ``serving:`` block would be refused, and would drop the first)."""
    if not run.error_rate:
        return model_yaml
    return with_serving(model_yaml, {"chaos": {"error_rate": run.error_rate}})


def with_serving(text: str, settings: dict[str, Any], note: str = "") -> str:
    """``text`` (a model.yaml) with ``settings`` merged into its top-level ``serving:`` block,
    which is rewritten where it stands; appended after ``note`` if there is none. The rest of
    the file, comments included, stays as the person wrote it."""
    document = load_yaml(text, CONFIG_FILE) or {}
    serving = {**(document.get("serving") or {}), **settings}
    block = yaml.safe_dump({"serving": serving}, sort_keys=False, default_flow_style=False)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines = text.splitlines(keepends=True)
    for key, value in root.value if root is not None else []:
        if key.value != "serving":
            continue
        start = key.start_mark.line
        # A block ends where the next key starts: keep the comments and blank lines before it.
        end = value.end_mark.line + (1 if value.end_mark.column else 0)
        while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip()[0] == "#"):
            end -= 1
        lines[start:end] = [block]
        return "".join(lines)
    return f"{text.rstrip()}\n\n{note}{block}"


def run_demo(
    view: DemoView,
    directory: Path | None = None,
    in_process: bool = False,
    keep_endpoint: bool = False,
) -> DemoResult:
    """Generate the example model in ``directory`` (default: a new temp dir) and take three
    versions through the whole lifecycle, monitoring and the cost digest."""
    root = directory or Path(tempfile.mkdtemp(prefix="stainless-demo-"))
    project_dir = generate_example(root)
    view.generated(project_dir)
    with SlackStub() as slack:
        # The real Slack client, pointed at a local stub: what the team would see in Slack.
        os.environ.update(
            {
                "SLACK_BOT_TOKEN": slack.token,
                "SLACK_API_URL": slack.base_url,
                "STAINLESS_NOTIFY": f"slack://{CHANNEL}",
            }
        )
        inbox = _Inbox(slack)
        project = open_workspace(project_dir)
        model_yaml = project_dir / "model.yaml"
        original = model_yaml.read_text()
        try:
            for attempt, run in enumerate(RUNS, start=1):
                started = time.monotonic()
                project, report = _one_run(view, model_yaml, original, attempt, run, in_process)
                view.run_finished(project, report, time.monotonic() - started, inbox.new())
                if not report.ok:
                    raise DemoRunFailed(
                        f"run {attempt} failed: {report.error}",
                        fix="read the run's log above; the example model should always pass",
                    )
            view.monitoring_started()
            _monitoring(view, project, inbox)
        finally:
            os.environ.pop("STAINLESS_PARAMS", None)
            model_yaml.write_text(original)
            if not keep_endpoint:
                from stainless.pipeline.endpoint_history import stop_endpoint

                stop_endpoint(project)
        # The daily cost digest (today's here, so the demo has something to show).
        from stainless.backends.notify.background import flush_notifications
        from stainless.pipeline.cost_summary import send_daily_digest

        send_daily_digest(project, datetime.now(UTC).date())
        # Let the digest reach the stub before it is shown (and before the stub shuts down).
        flush_notifications(project.notifier, timeout_s=FLUSH_S)
        view.digest(inbox.new())
    return DemoResult(project_dir, project, report, keep_endpoint)


def _one_run(
    view: DemoView, model_yaml: Path, original: str, attempt: int, run: DemoRun, in_process: bool
) -> tuple[Workspace, RunReport]:
    view.run_started(attempt, run)
    os.environ["STAINLESS_PARAMS"] = json.dumps(run.params)
    model_yaml.write_text(drill_config(original, run))
    project = open_workspace(model_yaml.parent)
    report = run_lifecycle(
        project,
        new_run_id(),
        in_process=in_process,
        on_stage=view.stage,
        rollout=RolloutOptions(on_tick=lambda state: view.tick(state.summary)),
    )
    return project, report


def _monitoring(view: DemoView, project: Workspace, inbox: _Inbox) -> None:
    """Production's validation rows as they are, then with area_sqm shifted by two standard
    deviations; a monitoring check after each: no alert, then one naming area_sqm."""
    from stainless.backends.notify.background import flush_notifications
    from stainless.pipeline.monitor import check_after_replay

    report_url = ""
    for label, shifts in SHIFTS:
        result = check_after_replay(project, shifts)
        view.monitored(label, result)
        report_url = result.report_url
    flush_notifications(project.notifier, timeout_s=FLUSH_S)  # alerts leave from a queue
    view.monitoring_finished(inbox.new(), report_url)
