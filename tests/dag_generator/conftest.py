"""Fixtures for the DAG generator tests: a small model.yaml written by the test itself, so the
golden spec does not move when the template's defaults change."""

from __future__ import annotations

from pathlib import Path

import pytest

MODEL_YAML = """\
name: churn-risk
owner: data-team
description: Predicts which customers will churn.
target: churned
metric: roc_auc
max_runtime: 45m
schedule: "0 3 * * 1"
resources:
  preprocess: {cpus: 2, memory_gb: 4, instance_type: ml.c5.xlarge}
  train: {cpus: 4, memory_gb: 20}
environments:
  aws:
    store: s3://ml-artifacts/churn-risk
    registry: sagemaker://churn-risk
    endpoint: sagemaker://churn-risk
    secrets:
      SNOWFLAKE_PASSWORD: secretsmanager://ml/snowflake#password
"""


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    project = tmp_path / "churn-risk"
    project.mkdir()
    (project / "model.yaml").write_text(MODEL_YAML)
    return project
