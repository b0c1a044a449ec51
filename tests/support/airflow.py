"""Driving Apache Airflow 3, which lives in its own venv (.venv-airflow, made by
`bash .ci/airflow-setup.sh`), from tests in the main venv: through subprocesses only.

Skipped when .venv-airflow is absent, unless STAINLESS_REQUIRE_AIRFLOW=1 (CI), where it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_VENV = ROOT / ".venv-airflow"
PROBE = ROOT / "tests" / "dag_generator" / "airflow_probe.py"


def airflow_bin(name: str) -> Path:
    path = AIRFLOW_VENV / "bin" / name
    if not path.exists():
        reason = f"{path} not found: run `bash .ci/airflow-setup.sh` to create .venv-airflow"
        if os.environ.get("STAINLESS_REQUIRE_AIRFLOW"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STAINLESS_", "AIRFLOW", "PYTEST_"))
    }
    env.update(extra)
    return env


def render(projects: list[Path], out: Path, *args: str) -> None:
    command = [sys.executable, "-m", "stainless", "dags", "render", "--out", str(out), *args]
    for project in projects:
        command += ["-C", str(project)]
    subprocess.run(command, check=True, env=clean_env(), capture_output=True)


def probe(folder: Path, airflow_home: Path) -> dict[str, Any]:
    """Load ``folder`` with Airflow's DagBag in a fresh interpreter (airflow_probe.py)."""
    result = subprocess.run(
        [str(airflow_bin("python")), str(PROBE), str(folder)],
        capture_output=True,
        text=True,
        env=clean_env(AIRFLOW_HOME=str(airflow_home), AIRFLOW__CORE__LOAD_EXAMPLES="False"),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])
