"""`stainless new` as a data scientist types it: bad answers get one line each, exit code 2,
no traceback and no cookiecutter log line (issue 13 item 4)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def new(tmp_path: Path, *answers: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    return subprocess.run(
        [sys.executable, "-m", "stainless", "new", "--no-input", "-o", str(tmp_path), *answers],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "lines"),
    [
        (
            ["model_slug=House Prices!", "test_size=1.5", "slack_channel=ML Models"],
            ["model_slug 'House Prices!'", "test_size '1.5'", "slack_channel 'ML Models'"],
        ),
        (["metric=rmse", "direction=maximize"], ["rmse is a metric to minimize"]),
        (["metric=rsme"], ["metric 'rsme': choose one of rmse, mae"]),
        (["metrci=rmse", "schedule"], ["'metrci' is not a question", "'schedule' is not KEY"]),
    ],
)
def test_bad_answers_get_one_line_each_and_exit_2(tmp_path: Path, answers, lines) -> None:
    result = new(tmp_path, *answers)
    assert result.returncode == 2, result.stderr
    printed = result.stderr.strip().splitlines()
    assert len(printed) == len(lines), result.stderr
    for line, expected in zip(printed, lines, strict=True):
        assert line.startswith("bad answer: ") and expected in line, line
    for noise in ("Traceback", "ERROR", "Hook script failed", "Stopping generation"):
        assert noise not in result.stderr + result.stdout
    assert not any(tmp_path.iterdir())  # nothing half-generated is left behind


def test_good_answers_still_generate(tmp_path: Path) -> None:
    result = new(tmp_path, "model_name=Churn Risk", "metric=f1")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "churn-risk" / "model.yaml").is_file()
