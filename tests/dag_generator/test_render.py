"""The rendered file is the spec as a literal plus a stub: no logic, only two imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from stainless.project.config import load_config

from dag_generator.render import HEADER, dag_filename, read_spec, render_dag_file, write_dag
from dag_generator.spec import build_spec


def test_file_holds_the_spec_as_data_and_reads_back(model_dir: Path, tmp_path: Path) -> None:
    spec = build_spec(load_config(model_dir), "local")
    path = write_dag(spec, tmp_path / "dags")
    assert path.name == "stainless_churn_risk.py"
    text = path.read_text()
    assert text.startswith(HEADER)
    assert read_spec(text) == spec
    assert not list((tmp_path / "dags").glob(".*.tmp"))  # written atomically, nothing left over


def test_stub_imports_only_airflow_sdk_and_the_runtime(model_dir: Path) -> None:
    text = render_dag_file(build_spec(load_config(model_dir), "aws"))
    tree = ast.parse(text)
    imported = [
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    ]
    assert imported == ["airflow.sdk", "dag_generator.runtime"]
    statements = [type(node).__name__ for node in tree.body]
    assert statements == ["ImportFrom", "ImportFrom", "Assign", "AnnAssign"]  # no logic
    compile(text, "dag.py", "exec")


def test_read_spec_rejects_files_we_did_not_render() -> None:
    with pytest.raises(ValueError, match="rendered by stainless"):
        read_spec("from airflow.sdk import DAG\n")


@pytest.mark.parametrize(
    ("model", "filename"),
    [("house-prices", "stainless_house_prices.py"), ("a1", "stainless_a1.py")],
)
def test_filenames(model: str, filename: str) -> None:
    assert dag_filename(model) == filename


def test_awkward_text_in_model_yaml_survives_the_round_trip(model_dir: Path) -> None:
    import yaml

    path = model_dir / "model.yaml"
    awkward = "ends in a backslash \\ has \"\"\" and ''' quotes, \\n, é, a tab\t \\"
    path.write_text(path.read_text() + yaml.safe_dump({"params": {"note": awkward}}))
    spec = build_spec(load_config(model_dir), "local")
    assert spec["config"]["params"]["note"] == awkward
    text = render_dag_file(spec)
    assert read_spec(text) == spec  # what Python reads back from the raw string, as JSON


def test_the_monitoring_dag_file_is_the_same_stub(model_dir: Path, tmp_path: Path) -> None:
    from dag_generator.spec import build_monitor_spec

    spec = build_monitor_spec(load_config(model_dir), "local")
    path = write_dag(spec, tmp_path / "dags")
    assert path.name == "stainless_churn_risk__monitor.py"  # beside stainless_churn_risk.py
    tree = ast.parse(path.read_text())
    assert [type(node).__name__ for node in tree.body] == [
        "ImportFrom",
        "ImportFrom",
        "Assign",
        "AnnAssign",
    ]
    assert read_spec(path.read_text()) == spec
