"""Check the answers before anything is generated, with messages a data scientist understands."""

import re
import sys

ANSWERS = {
    "model_name": "{{ cookiecutter.model_name }}",
    "model_slug": "{{ cookiecutter.model_slug }}",
    "github_user": "{{ cookiecutter.github_user }}",
    "metric": "{{ cookiecutter.metric }}",
    "direction": "{{ cookiecutter.direction }}",
    "preprocess_cpus": "{{ cookiecutter.preprocess_cpus }}",
    "preprocess_memory_gb": "{{ cookiecutter.preprocess_memory_gb }}",
    "train_cpus": "{{ cookiecutter.train_cpus }}",
    "train_memory_gb": "{{ cookiecutter.train_memory_gb }}",
    "serve_cpus": "{{ cookiecutter.serve_cpus }}",
    "serve_memory_gb": "{{ cookiecutter.serve_memory_gb }}",
    "test_size": "{{ cookiecutter.test_size }}",
    "max_runtime": "{{ cookiecutter.max_runtime }}",
    "schedule": "{{ cookiecutter.schedule }}",
    "slack_channel": "{{ cookiecutter.slack_channel }}",
}
MINIMIZED = {"rmse", "mae", "log_loss"}
PRESETS = {"@once", "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@continuous", "none"}


def problems(answers):
    found = []
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,62}", answers["model_slug"]):
        found.append(
            f"model_slug {answers['model_slug']!r}: use lowercase letters, digits and dashes, "
            "starting with a letter (2-63 characters), e.g. house-prices"
        )
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})", answers["github_user"]):
        found.append(f"github_user {answers['github_user']!r}: not a GitHub user name")
    natural = "minimize" if answers["metric"] in MINIMIZED else "maximize"
    if answers["direction"] not in ("maximize", "minimize"):
        found.append(f"direction {answers['direction']!r}: answer maximize or minimize")
    elif answers["direction"] != natural:
        found.append(
            f"direction {answers['direction']!r}: {answers['metric']} is a metric to {natural}"
        )
    for stage in ("preprocess", "train", "serve"):
        for unit, key in (("CPUs", f"{stage}_cpus"), ("GiB", f"{stage}_memory_gb")):
            try:
                value = float(answers[key])
            except ValueError:
                value = -1
            if not 0 < value <= 768:
                found.append(f"{key} {answers[key]!r}: give a number of {unit} above 0, e.g. 2")
    try:
        test_size = float(answers["test_size"])
    except ValueError:
        test_size = -1
    if not 0 < test_size < 1:
        found.append(
            f"test_size {answers['test_size']!r}: give a fraction between 0 and 1, e.g. 0.2"
        )
    if not re.fullmatch(r"\d+(\.\d+)?[smhd]?", answers["max_runtime"].strip()):
        found.append(f"max_runtime {answers['max_runtime']!r}: give a duration like 30m or 2h")
    schedule = answers["schedule"].strip()
    if schedule not in PRESETS and len(schedule.split()) != 5:
        found.append(
            f"schedule {schedule!r}: give a cron expression with 5 fields (e.g. '0 3 * * *'), "
            "or one of " + ", ".join(sorted(PRESETS))
        )
    if not re.fullmatch(r"#?[a-z0-9][a-z0-9._-]{0,79}", answers["slack_channel"]):
        found.append(
            f"slack_channel {answers['slack_channel']!r}: Slack channel names are lowercase, "
            "without spaces, e.g. #ml-models"
        )
    return found


if __name__ == "__main__":
    errors = problems(ANSWERS)
    if errors:
        # One line per bad answer; `stainless new` adds nothing (no traceback) and exits 2.
        for error in errors:
            print(f"bad answer: {error}", file=sys.stderr)
        sys.exit(2)
