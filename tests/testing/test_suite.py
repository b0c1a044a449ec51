"""The shared suite's checks failing the way a data scientist meets them, in a generated
repository: each names the file, the field and the request (the suite passing, and switched off:
test_plugin.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.suite_runs import bake, run_pytest


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
