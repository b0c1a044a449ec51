"""Run a test module again inside another virtualenv, from the main one.

Some SDKs pin libraries the framework must not share (the SageMaker SDK, fakesnow with its
Snowflake connector), so they live in .venv-NAME, made by `bash .ci/NAME-setup.sh`. Their test
module runs in two places: in the main .venv, one test calls :func:`assert_passes_in_venv`,
which runs the same module under .venv-NAME's pytest and asserts enough tests passed there; in
.venv-NAME, everything else (its tests skip elsewhere with a reason saying "runs inside
.venv-NAME"). Without the venv the outer test skips, unless CI says it is required
(STAINLESS_REQUIRE_NAME=1, which the suite's fixtures keep): then it fails.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def venv_python(name: str) -> Path:
    return ROOT / f".venv-{name}" / "bin" / "python"


def assert_passes_in_venv(
    name: str,
    test_file: str | Path,
    tmp_path: Path,
    env: dict[str, str],
    *,
    min_passed: int,
    timeout: float,
    pytest_args: Sequence[str] = (),
    skip_when: str | None = None,
) -> str:
    """Run ``test_file`` under .venv-NAME's pytest with ``env``; returns its output.

    ``skip_when``: a phrase of the inner output that means this machine lacks what the tests
    need (e.g. "no Docker engine"): the outer test skips then, unless required.
    """
    required = os.environ.get(f"STAINLESS_REQUIRE_{name.upper()}") == "1"
    python = venv_python(name)
    if not python.exists():
        reason = f"{python} not found: run `bash .ci/{name}-setup.sh` to create it"
        if required:
            pytest.fail(reason)
        pytest.skip(reason)
    started = time.monotonic()
    result = subprocess.run(
        [
            str(python),
            "-m",
            "pytest",
            str(test_file),
            "-p",
            "no:cacheprovider",
            "-q",
            "-rfEs",
            "--durations=5",
            # Its own --basetemp: pytest prunes old /tmp/pytest-of-<user> folders of other runs.
            f"--basetemp={tmp_path / 'inner'}",
            *pytest_args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    print(output[-4000:])
    print(f"{Path(test_file).name} in .venv-{name}: {time.monotonic() - started:.1f}s")
    summary = (output.strip().splitlines() or [""])[-1]
    if skip_when is not None and skip_when in output and not required:
        pytest.skip(f"{skip_when} for the tests in .venv-{name}: {summary}")
    assert result.returncode == 0, output[-6000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed.group(1)) >= min_passed, summary
    assert not re.search(r"\d+ (failed|error)", summary), summary
    # A test skipped as "not in its venv" inside its venv would pass without running.
    assert f"runs inside .venv-{name}" not in output, output[-6000:]
    return output
