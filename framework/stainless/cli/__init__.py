"""The `stainless` command. Subcommands are imported only when used, so `--help` stays fast."""

from __future__ import annotations

import atexit
import gc
import importlib
import logging
import os
import sys
from typing import Any

import click

from stainless.core.errors import StainlessError

# name -> (module, attribute, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("stainless.cli.demo", "demo", "Run the whole local lifecycle on the example model."),
    "new": ("stainless.cli.new", "new", "Create a model repository from the template."),
    "lock": ("stainless.cli.lock", "lock", "Pin the model repository's dependencies."),
    "update": (
        "stainless.cli.update",
        "update",
        "Bring the repository's generated files up to the installed template.",
    ),
    "rollout": ("stainless.cli.rollout", "rollout", "Drive the canary rollout of a version."),
    "run": ("stainless.cli.run", "run", "Run the whole lifecycle locally."),
    "preprocess": ("stainless.cli.stages", "preprocess", "Run the preprocess stage of a run."),
    "train": ("stainless.cli.stages", "train", "Run the train stage of a run."),
    "evaluate": ("stainless.cli.stages", "evaluate", "Run the evaluate stage of a run."),
    "decide": ("stainless.cli.stages", "decide", "Run the decide stage of a run."),
    "versions": ("stainless.cli.versions", "versions", "List model versions in the registry."),
    "rollback": ("stainless.cli.versions", "rollback", "Make an earlier version production."),
    "finalize": ("stainless.cli.rollout", "finalize", "Settle a rollout that has ended."),
    "serve": ("stainless.cli.serve", "serve", "Serve a model over HTTP (SageMaker contract)."),
    "endpoint": ("stainless.cli.endpoint", "endpoint", "Run the model's endpoint locally."),
    "traffic": ("stainless.cli.traffic", "traffic", "Replay validation requests at an endpoint."),
    "monitor": ("stainless.cli.monitor", "monitor", "Check live traffic for drift (once)."),
    "dags": ("dag_generator.cli", "dags", "Render Airflow DAGs and upload them to S3."),
    "container": ("stainless.cli.container", "container", "Build and push the model's image."),
    "cost": ("stainless.cli.cost", "cost", "Cost per run and per endpoint variant per day."),
    "instances": ("stainless.cli.cost", "instances", "Instance types and their prices."),
    "report": ("stainless.cli.report", "report", "Write (and open) a run's HTML report."),
    "status": ("stainless.cli.status", "status", "Every model at a glance."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[name]
        return getattr(importlib.import_module(module), attribute)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StainlessError as exc:
            click.secho(f"error: {exc.render()}", fg="red", err=True)
            sys.exit(exc.exit_code)


def setup_logging(verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.INFO
    # One line per HTTP request (demo traffic, Slack) drowns what matters.
    for noisy in ("httpx", "httpcore", "matplotlib", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if os.environ.get("STAINLESS_LOG_FORMAT") == "plain" or not sys.stderr.isatty():
        logging.basicConfig(
            level=level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            stream=sys.stderr,
            force=True,
        )
    else:
        from rich.logging import RichHandler

        logging.basicConfig(
            level=level,
            format="%(message)s",
            force=True,
            handlers=[RichHandler(show_path=False, markup=False)],
        )


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="stainless-ml")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
def main(verbose: bool) -> None:
    """stainless: painless ML in production.

    Edit preprocess.py, train.py, model.py and schemas.json; stainless does the rest.
    """
    setup_logging(verbose)
    # At exit the interpreter's last garbage collections walk every object of pandas,
    # scikit-learn and matplotlib: measured at 0.5-2 s of CPU for nothing, since the process
    # ends anyway. Frozen objects are skipped (files still close, atexit handlers still run).
    atexit.register(gc.freeze)
