"""requirements.lock (issue 13 item 7): written with uv for the image's platform, reproducible,
checked offline against pyproject.toml, installed by the image, recorded in lineage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from stainless.cli import main
from stainless.project.lock import (
    LOCK_FILE,
    LockError,
    check_lock,
    installed_mismatches,
    lock_digest,
    pinned,
    read_header,
    with_pins,
    write_lock,
)

pytestmark = pytest.mark.integration  # uv resolves against the package index
MOMENT = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from cookiecutter.main import cookiecutter
    from stainless.project.template import template_dir

    out = tmp_path_factory.mktemp("lock")
    project = Path(cookiecutter(str(template_dir()), no_input=True, output_dir=str(out)))
    try:
        write_lock(project, exclude_newer=MOMENT)
    except LockError as exc:
        pytest.skip(f"no package index reachable: {exc}")
    return project


def test_the_lock_pins_the_model_and_the_framework_dependencies_with_hashes(locked):
    header = read_header(locked / LOCK_FILE)
    assert header["exclude-newer"] == "2026-06-01T00:00:00Z"
    assert header["framework-extras"] == "aws,slack"  # from "stainless-ml[aws,slack]"
    names = {line.split("==")[0] for line in pinned(locked)}
    assert {"scikit-learn", "numpy", "pandas", "boto3", "slack-sdk", "joblib"} <= names
    assert all("==" in line for line in pinned(locked))
    assert "stainless-ml" not in names and "stainless" not in names
    assert "--hash=sha256:" in (locked / LOCK_FILE).read_text()


def test_relocking_the_same_inputs_gives_the_same_file(locked, tmp_path):
    again = tmp_path / "again"
    again.mkdir()
    (again / "pyproject.toml").write_text((locked / "pyproject.toml").read_text())
    write_lock(again, exclude_newer=MOMENT)
    assert (again / LOCK_FILE).read_text() == (locked / LOCK_FILE).read_text()


def test_check_fails_when_pyproject_changes(locked, tmp_path):
    check_lock(locked)
    runner = CliRunner()
    assert runner.invoke(main, ["lock", "--check", "-C", str(locked)]).exit_code == 0
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / LOCK_FILE).write_text((locked / LOCK_FILE).read_text())
    text = (locked / "pyproject.toml").read_text()
    (stale / "pyproject.toml").write_text(
        text.replace('"joblib>=1.3",', '"joblib>=1.3",\n  "xgboost>=2",')
    )
    result = runner.invoke(main, ["lock", "--check", "-C", str(stale)])
    assert result.exit_code == 1
    assert "requirements.lock: stale: pyproject.toml's dependencies" in result.output
    assert "Fix: run `stainless lock`" in result.output
    (stale / LOCK_FILE).unlink()
    assert "missing" in runner.invoke(main, ["lock", "--check", "-C", str(stale)]).output


def test_the_image_gets_the_pins_plus_what_the_lock_lacks(locked):
    pins = pinned(locked)
    merged = with_pins(pins, ["numpy>=1.26", "snowflake-connector-python>=3.6"])
    assert merged[: len(pins)] == pins
    assert merged[len(pins) :] == ["snowflake-connector-python>=3.6"]  # not in this lock


def test_lineage_records_the_lock(locked):
    from stainless.pipeline.stages import run_stage
    from stainless.project.config import load_config
    from stainless.workspace import Workspace

    project = Workspace(load_config(locked))
    run_stage(project, "preprocess", "r1")
    version = run_stage(project, "train", "r1").version
    lineage = project.registry.get(version).lineage
    assert lineage["requirements_lock_sha256"] == lock_digest(locked)
    assert lineage["requirements_lock_mismatches"] == installed_mismatches(locked)
    for line in lineage["requirements_lock_mismatches"]:
        assert "(lock: " in line


def test_the_generated_ci_checks_the_lock_and_installs_from_it(locked):
    config = (locked / ".circleci" / "config.yml").read_text()
    assert "command: stainless lock --check" in config
    assert "pip install --require-hashes -r requirements.lock" in config


def test_the_declared_dependencies_are_read_in_one_place(tmp_path: Path):
    # Shared by the lock and the image's wheelhouse: the same parse, the same error.
    from stainless.container.wheelhouse import project_requirements
    from stainless.core.errors import ConfigError
    from stainless.project.lock import declared_dependencies, lock_inputs

    assert project_requirements(tmp_path) == []  # no pyproject.toml: nothing of the model's own
    with pytest.raises(ConfigError, match="file not found"):
        lock_inputs(tmp_path)
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\ndependencies = ["scikit-learn>=1.4", "stainless-ml[aws]>=0.1"]\n'
    )
    assert [r.name for r in declared_dependencies(tmp_path)] == ["scikit-learn", "stainless-ml"]
    assert project_requirements(tmp_path) == ["scikit-learn>=1.4"]
    pyproject.write_text('[project]\ndependencies = ["scikit learn"]\n')
    for read in (declared_dependencies, project_requirements, lock_inputs):
        with pytest.raises(ConfigError) as refused:
            read(tmp_path)
        assert refused.value.key == "project.dependencies" and "PEP 508" in (
            refused.value.fix or ""
        )
