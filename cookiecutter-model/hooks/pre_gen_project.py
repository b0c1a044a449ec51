"""Check the answers before anything is generated, with messages a data scientist understands."""
# This file is a Jinja template rendered by cookiecutter before Python sees it: the names in the
# double-brace expressions below are Jinja's, not Python's.
# ruff: noqa: F821

import re
import sys

# Each answer is rendered as a JSON string literal (also a valid Python one), never pasted
# between quotes: an answer holding a quote or a backslash stays data and cannot become code.
# fmt: off
ANSWERS = {
    "model_name": {{ cookiecutter.model_name | tojson }},
    "author_name": {{ cookiecutter.author_name | tojson }},
    "description": {{ cookiecutter.description | tojson }},
    "model_slug": {{ cookiecutter.model_slug | tojson }},
    "github_user": {{ cookiecutter.github_user | tojson }},
    "metric": {{ cookiecutter.metric | tojson }},
    "direction": {{ cookiecutter.direction | tojson }},
    "preprocess_cpus": {{ cookiecutter.preprocess_cpus | tojson }},
    "preprocess_memory_gb": {{ cookiecutter.preprocess_memory_gb | tojson }},
    "train_cpus": {{ cookiecutter.train_cpus | tojson }},
    "train_memory_gb": {{ cookiecutter.train_memory_gb | tojson }},
    "serve_cpus": {{ cookiecutter.serve_cpus | tojson }},
    "serve_memory_gb": {{ cookiecutter.serve_memory_gb | tojson }},
    "test_size": {{ cookiecutter.test_size | tojson }},
    "max_runtime": {{ cookiecutter.max_runtime | tojson }},
    "schedule": {{ cookiecutter.schedule | tojson }},
    "slack_channel": {{ cookiecutter.slack_channel | tojson }},
}
# fmt: on
MINIMIZED = {"rmse", "mae", "log_loss"}
PRESETS = {"@once", "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@continuous", "none"}
# The name lands in YAML comments, JSON titles and Markdown: plain words and light punctuation.
MODEL_NAME = r"[A-Za-z0-9][A-Za-z0-9 _.,:()&+'-]{0,79}"
UNSAFE_TEXT = re.compile(r'["\\{}\x00-\x1f\x7f]')


def problems(answers):
    found = []
    if not re.fullmatch(MODEL_NAME, answers["model_name"]):
        found.append(
            f"model_name {answers['model_name']!r}: use letters, digits, spaces and "
            "- _ . , : ( ) & + ' only (up to 80 characters, no quotes or backslashes), "
            "e.g. House Prices"
        )
    for key in ("author_name", "description"):
        if UNSAFE_TEXT.search(answers[key]) or not answers[key].strip():
            found.append(
                f"{key} {answers[key]!r}: plain text on one line, without double quotes, "
                "backslashes or braces"
            )
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
