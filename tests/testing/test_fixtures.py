"""The suite's session fixtures, used by a data scientist's own test in a generated repository
(run the way they run it: `pytest` there)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.suite_runs import bake, files_of, run_pytest

OWN_TEST = """
import os
from pathlib import Path


def test_the_fixtures(stainless_project_dir, stainless_sandbox, stainless_stages, stainless_model,
                      stainless_client):
    assert stainless_project_dir == Path.cwd()
    assert os.environ["STAINLESS_STORE"] == f"file://{stainless_sandbox / 'store'}"
    assert stainless_stages.project.sandbox == stainless_sandbox
    request = stainless_model.schemas.request_examples[0]
    assert stainless_client.get("/ping").status_code == 200
    answer = stainless_client.post("/invocations", json=request)
    assert answer.status_code == 200, answer.text
    assert answer.json() == stainless_model.predict(request)
    print("FIXTURES-OK", stainless_stages.run_id)
"""


@pytest.mark.integration
def test_a_data_scientists_test_gets_a_trained_model_and_a_client(tmp_path: Path) -> None:
    project = bake(tmp_path)
    (project / "tests" / "test_own.py").write_text(OWN_TEST)
    before = files_of(project)
    result, _ = run_pytest(project, "tests/test_own.py", "-s", cache=tmp_path / "cache")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FIXTURES-OK" in result.stdout and "stainless::" not in result.stdout
    assert files_of(project) == before  # the sandbox is elsewhere
    assert not (project / ".stainless").exists() and not (project / ".hypothesis").exists()
