"""The layers of DESIGN.md, enforced: top imports bottom, never the reverse."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_heavy_sdks_are_not_imported_by_the_base_package():
    code = (
        "import sys, stainless.cli, stainless.pipeline.runner, stainless.backends.notify;"
        "heavy = {'boto3', 'slack_sdk', 'snowflake', 'airflow', 'sagemaker'} & set(sys.modules);"
        "assert not heavy, heavy"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
