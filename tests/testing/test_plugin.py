"""The plugin, run the way a data scientist runs it: `pytest` in a generated repository runs the
shared suite, which can be switched off (its checks failing: test_suite.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.suite_runs import bake, files_of, run_pytest


@pytest.mark.integration
def test_generated_repository_passes_the_suite_and_leaves_no_trace(
    tmp_path: Path,
) -> None:
    project = bake(tmp_path)
    before = files_of(project)
    result, seconds = run_pytest(project, cache=tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr
    for name in (
        "test_model_yaml_is_valid",
        "test_schemas_are_valid_and_their_examples_validate",
        "test_preprocess_returns_the_declared_splits",
        "test_train_writes_artifacts",
        "test_load_model_reads_train_output",
        "test_valid_requests_get_valid_responses",
        "test_batch_and_single_answers_agree",
        "test_invalid_requests_get_4xx_never_5xx",
        "test_metric_computes_on_the_validation_rows",
        "test_server_contract_in_process",
    ):
        assert f"PASSED stainless::{name}" in result.stdout, result.stdout
    assert "PASSED tests/test_example.py" in result.stdout
    # Its speed is measured by benchmarks/lifecycle.py (pytest_vs_plain), not timed here.
    assert files_of(project) == before  # no .stainless/, no .hypothesis/
    # Hypothesis's unicode tables are kept in the user's cache, not rebuilt every session.
    assert list((tmp_path / "cache" / "stainless" / "hypothesis" / "unicode_data").rglob("*.gz"))


@pytest.mark.integration
def test_the_suite_can_be_switched_off_and_deselected(tmp_path: Path) -> None:
    project = bake(tmp_path)
    off, _ = run_pytest(project, "-p", "no:stainless")
    assert off.returncode == 0 and "stainless::" not in off.stdout
    deselected, _ = run_pytest(project, "-m", "not stainless")
    assert deselected.returncode == 0 and "stainless::" not in deselected.stdout
    named, _ = run_pytest(project, "tests/test_example.py")
    assert named.returncode == 0 and "stainless::" not in named.stdout


def test_the_plugin_is_inactive_outside_a_model_repository(pytestconfig: pytest.Config) -> None:
    from stainless.testing.plugin import PROJECT_KEY

    assert pytestconfig.pluginmanager.has_plugin("stainless")
    assert PROJECT_KEY not in pytestconfig.stash
