"""The shared suite, run the way a data scientist runs it: `pytest` in a generated repository."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stainless.testing.strategies import unsupported_keywords

STAINLESS = [sys.executable, "-m", "stainless"]


def bake(out: Path) -> Path:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_")}
    subprocess.run(
        [*STAINLESS, "new", "--no-input", "-o", str(out)], check=True, env=env, capture_output=True
    )
    return out / "house-prices"


def run_pytest(
    project: Path, *args: str, cache: Path | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STAINLESS_", "PYTEST_"))}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-rA", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, time.monotonic() - started


def files_of(project: Path) -> set[str]:
    return {
        p.relative_to(project).as_posix()
        for p in project.rglob("*")
        if "__pycache__" not in p.parts
    }


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
def test_a_response_breaking_its_schema_fails_naming_model_py_and_the_field(
    tmp_path: Path,
) -> None:
    project = bake(tmp_path)
    model = project / "model.py"
    source = model.read_text()
    broken = source.replace(
        '{"prediction": price} for price', '{"prediction": "expensive"} for price'
    )
    assert broken != source
    model.write_text(broken)
    result, _ = run_pytest(project)
    assert result.returncode == 1
    assert "FAILED stainless::test_valid_requests_get_valid_responses" in result.stdout
    assert (
        "model.py: for a generated request" in result.stdout
        and "violates schemas.json 'response' at /prediction" in result.stdout
    )
    assert "PASSED stainless::test_train_writes_artifacts" in result.stdout


@pytest.mark.integration
def test_the_suite_can_be_switched_off_and_deselected(tmp_path: Path) -> None:
    project = bake(tmp_path)
    off, _ = run_pytest(project, "-p", "no:stainless")
    assert off.returncode == 0 and "stainless::" not in off.stdout
    deselected, _ = run_pytest(project, "-m", "not stainless")
    assert deselected.returncode == 0 and "stainless::" not in deselected.stdout
    named, _ = run_pytest(project, "tests/test_example.py")
    assert named.returncode == 0 and "stainless::" not in named.stdout


@pytest.mark.integration
def test_unsupported_schema_keywords_warn_without_failing(tmp_path: Path) -> None:
    project = bake(tmp_path)
    schemas = project / "schemas.json"
    text = schemas.read_text()
    schemas.write_text(
        text.replace('"additionalProperties": false,', '"unevaluatedProperties": false,', 1)
    )
    result, _ = run_pytest(project, "-k", "schemas")
    assert result.returncode == 0, result.stdout
    assert "StainlessSuiteWarning" in result.stdout
    assert "/unevaluatedProperties" in result.stdout


def test_unsupported_keywords_are_found_where_they_are_keywords() -> None:
    schema = {
        "type": "object",
        "properties": {"prefixItems": {"type": "array", "prefixItems": [{"type": "number"}]}},
        "dependentRequired": {"a": ["b"]},
        "enum": [{"unevaluatedProperties": 1}],
    }
    assert unsupported_keywords(schema) == [
        "/properties/prefixItems/prefixItems",
        "/dependentRequired",
    ]


def test_the_plugin_is_inactive_outside_a_model_repository(pytestconfig: pytest.Config) -> None:
    from stainless.testing.plugin import PROJECT_KEY

    assert pytestconfig.pluginmanager.has_plugin("stainless")
    assert PROJECT_KEY not in pytestconfig.stash


@pytest.mark.integration
def test_a_model_crash_prints_the_whole_shrunk_request_and_blames_model_py(
    tmp_path: Path,
) -> None:
    """Issue 13 item 1: 30 request fields and a model that raises beyond a value of one of
    them: the failure shows the whole shrunk request (the advice per cause is unit-tested in
    test_explain.py)."""
    import json

    project = bake(tmp_path)
    schemas_path = project / "schemas.json"
    schemas = json.loads(schemas_path.read_text())
    request = schemas["request"]
    extra = [f"aa_{i:02d}" for i in range(25)]  # sort before the real fields, as in the issue
    for name in extra:
        request["properties"][name] = {"type": "number", "minimum": 0, "maximum": 1}
    request["required"] += extra
    request["examples"] = [{**e, **dict.fromkeys(extra, 0.5)} for e in request["examples"]]
    schemas_path.write_text(json.dumps(schemas, indent=2))
    with (project / "model.yaml").open("a") as config:  # the sample has no such columns
        config.write("\ndata_checks:\n  schema: false\n")
    model = project / "model.py"
    source = model.read_text()
    head = "    def predict(requests: list[dict]) -> list[dict]:\n"
    crash = (
        f"{head}"
        '        if any(request["distance_km"] > 500 for request in requests):\n'
        '            raise ValueError("out of range")\n'
    )
    assert head in source
    model.write_text(source.replace(head, crash))
    result, _ = run_pytest(project, "-k", "test_valid_requests")
    out = result.stdout
    assert result.returncode == 1, out
    assert "model.py: the model raised ValueError: out of range at model.py line" in out
    assert "in predict() on a generated request, which is valid under" in out
    shown = out[out.index("Falsifying request:") :]
    for name in [*extra, "area_sqm", "distance_km", "neighborhood"]:
        assert f'"{name}":' in shown, name  # every field, nothing cut at 300 characters
    assert '"distance_km": 50' in shown  # shrunk to just past the limit
