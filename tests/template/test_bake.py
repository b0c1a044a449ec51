"""The template, tested the cookiecutter-data-science way: bake answer combinations, check the
exact file set and that nothing is left unrendered, then run each baked project's own tests
and `stainless run`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from stainless.project.config import load_config
from stainless.project.schemas import load_schemas
from stainless.project.template import template_dir

EXPECTED_FILES = {
    ".circleci/config.yml",
    ".dockerignore",
    ".gitignore",
    ".pre-commit-config.yaml",
    "Dockerfile",
    "README.md",
    "data/houses.csv",
    "model.py",
    "model.yaml",
    "preprocess.py",
    "pyproject.toml",
    "schemas.json",
    "tests/test_example.py",
    "train.py",
}

TEMPLATE_ANSWERS = json.loads((template_dir() / "cookiecutter.json").read_text())
CHOICES = {
    key: value
    for key, value in TEMPLATE_ANSWERS.items()
    if isinstance(value, list) and not key.startswith("_")
}
CLASSIFICATION = {"accuracy", "f1", "roc_auc", "log_loss"}


def choice_combinations() -> dict[str, dict[str, str]]:
    """Every value of every choice of cookiecutter.json in as few bakes as it takes (the i-th
    bake takes the i-th value of each choice), so a new metric or data source is baked by
    adding it to cookiecutter.json, not to this file."""
    longest = max(len(values) for values in CHOICES.values())
    combos = {}
    for i in range(longest):
        answers = {key: values[i % len(values)] for key, values in CHOICES.items()}
        combos["-".join(answers.values())] = answers
    return combos


# Free-text answers whose rendering branches (schedule none/cron, channel without '#').
COMBINATIONS = {
    **choice_combinations(),
    "manual-schedule": {"schedule": "none", "test_size": "0.3", "slack_channel": "ds-alerts"},
    "cron-named": {"schedule": "0 3 * * *", "model_name": "Churn Risk", "max_runtime": "2h"},
}


def test_every_choice_is_baked() -> None:
    for key, values in CHOICES.items():
        baked = {answers.get(key) for answers in COMBINATIONS.values()}
        assert set(values) <= baked, key


def files_of(path: Path) -> set[str]:
    return {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}


@pytest.mark.parametrize("answers", COMBINATIONS.values(), ids=COMBINATIONS.keys())
def test_bake_renders_a_valid_project(bake, answers):
    project = bake(**answers)
    assert files_of(project) == EXPECTED_FILES
    for path in project.rglob("*"):
        if path.is_file() and path.suffix != ".csv":
            text = path.read_text()
            assert "{{" not in text and "{%" not in text, f"unrendered Jinja in {path.name}"
    config = load_config(project)
    assert config.metric == answers.get("metric", "rmse")
    assert config.target == ("expensive" if config.metric in CLASSIFICATION else "price")
    schemas = load_schemas(config.hook_path("schemas"))
    assert schemas.request_examples
    raw = yaml.safe_load((project / "model.yaml").read_text())
    if answers.get("schedule") == "none":
        assert raw["schedule"] is None
    if answers.get("promotion_criterion") == "bootstrap_95":
        assert raw["promotion"]["bootstrap"]["enabled"] is True
    if answers.get("data_source") == "snowflake":
        assert raw["environments"]["aws"]["data"].startswith("snowflake://")
        assert set(raw["environments"]["aws"]["secrets"]) >= {
            "SNOWFLAKE_USER",
            "SNOWFLAKE_PASSWORD",
        }
    check_aws_environment(project, config.name)
    assert raw["slack"]["channel"].startswith("#")
    compile_all(project)
    for lint in (["check", "."], ["format", "--check", "."]):  # what the repo's CI runs first
        result = run([sys.executable, "-m", "ruff", *lint], project)
        assert result.returncode == 0, result.stdout


def check_aws_environment(project: Path, name: str) -> None:
    """The baked aws environment is complete: a SageMaker endpoint sized from resources.serve,
    autoscaled, capturing to the model's S3 prefix, with production rollout settings and secrets
    by reference; credentials files stay out of images and git."""
    from stainless.project.hosting import endpoint_settings
    from stainless.rollout.settings import effective_settings

    aws = load_config(project, env="aws")
    assert aws.backend("endpoint") == f"sagemaker://{name}"
    settings = endpoint_settings(aws)
    assert settings.instance_type == "ml.t2.medium"  # 1 cpu, 1 GiB: the cheapest endpoint type
    assert settings.instance_count == 1
    assert settings.autoscaling is not None and settings.autoscaling.max_instances == 4
    assert settings.data_capture is not None
    assert settings.data_capture.destination == f"s3://my-ml-artifacts/{name}/datacapture"
    assert settings.data_capture.sampling_percentage == 5  # serving.capture_sample_rate 0.05
    assert settings.container_env == {"STAINLESS_ENV": "aws", "STAINLESS_CAPTURE": "off"}
    rollout = effective_settings(aws)
    assert rollout["steps"] == [5, 10, 25, 50, 100] and rollout["latency_guard_ratio"] == 1.5
    assert effective_settings(load_config(project))["steps"] == [25, 50, 100]  # local stays quick
    assert all(ref.startswith("secretsmanager://") for ref in aws.secrets.values())
    assert "SLACK_BOT_TOKEN" in aws.secrets
    for ignore in (".dockerignore", ".gitignore"):
        lines = (project / ignore).read_text().splitlines()
        assert ".env" in lines and any(line.endswith("*.pem") for line in lines), ignore
        assert any(line.endswith("*.key") for line in lines), ignore


def compile_all(project: Path) -> None:
    for path in project.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"model_slug": "House Prices!"}, "model_slug"),
        ({"metric": "rmse", "direction": "maximize"}, "rmse is a metric to minimize"),
        ({"test_size": "1.5"}, "test_size"),
        ({"train_memory_gb": "lots"}, "train_memory_gb"),
        ({"schedule": "every day"}, "cron expression"),
        ({"slack_channel": "ML Models"}, "slack_channel"),
    ],
)
def test_bad_answers_are_rejected_with_a_clear_message(bake, answers, message, capfd):
    with pytest.raises(FailedHookException):
        bake(**answers)
    assert message in capfd.readouterr().err


def run(command: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.integration
@pytest.mark.parametrize(
    "answers",
    [{}, {"metric": "roc_auc", "promotion_criterion": "bootstrap_95", "data_source": "snowflake"}],
    ids=["regression-defaults", "classification-bootstrap-snowflake"],
)
def test_baked_project_passes_its_own_tests_and_runs(bake, answers):
    project = bake(**answers)
    tests = run([sys.executable, "-m", "pytest", "-q", "-x"], project)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    for lint in (["check", "."], ["format", "--check", "."]):
        result = run([sys.executable, "-m", "ruff", *lint], project)
        assert result.returncode == 0, result.stdout
    stainless = str(Path(sys.executable).with_name("stainless"))
    first = run([stainless, "run", "--json"], project)
    assert first.returncode == 0, first.stderr[-3000:]
    report = json.loads(first.stdout)
    assert report["ok"] and report["stages"]["decide"]["action"] == "promote"
    second = json.loads(run([stainless, "run", "--json"], project).stdout)
    assert second["stages"]["evaluate"]["production"]["version"] == 1
    assert second["stages"]["decide"]["action"] in ("promote", "reject")
    listing = json.loads(run([stainless, "versions", "--json"], project).stdout)
    assert [v["version"] for v in listing] == [1, 2]
