"""What the image build decides before Docker runs: the framework's extras every environment
needs, and the git revision that tags the image (the build itself, with real Docker:
tests/cli/test_container.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from stainless.container.build import extras_for, git_revision, parse_extras
from stainless.project.config import config_from_mapping, load_config


def test_extras_follow_the_backends_of_every_environment(bake):
    defaults = load_config(bake())
    assert extras_for(defaults) == {"aws", "slack"}  # environments.aws: s3, sagemaker, slack
    snowflake = load_config(bake(data_source="snowflake"))
    assert extras_for(snowflake) == {"aws", "slack", "snowflake"}
    # Secrets fetched from AWS need boto3 in the image even with local backends only.
    local_only = config_from_mapping(
        {
            "name": "house-prices",
            "owner": "o",
            "target": "y",
            "metric": "rmse",
            "secrets": {"API_KEY": "ssm:///ml/api-key"},
        },
        Path("."),
    )
    assert extras_for(local_only) == {"aws"}


def test_extras_are_parsed_from_a_comma_separated_option():
    assert parse_extras(" aws, ,snowflake,") == {"aws", "snowflake"}
    assert parse_extras("") == set()


def test_the_git_revision_of_the_model_repository(tmp_path: Path):
    assert git_revision(tmp_path) is None  # not a repository: the tag falls back to latest
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e", "PATH": "/usr/bin:/bin:/usr/local/bin"}  # fmt: skip
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, env=env)
    subprocess.run(
        ["git", "commit", "-q", "--allow-empty", "-m", "x"], cwd=tmp_path, check=True, env=env
    )
    full = git_revision(tmp_path, short=False)
    assert full is not None and len(full) == 40
    assert git_revision(tmp_path) == full[:12]
