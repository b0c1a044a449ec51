"""`stainless dags ...` through click's CliRunner, on baked template projects."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from stainless.cli import main

from dag_generator.render import read_spec


def test_render_writes_one_dag_per_model(bake, tmp_path: Path) -> None:
    first = bake(model_name="House Prices")
    second = bake(model_name="Churn Risk", metric="roc_auc", schedule="none")
    out = tmp_path / "dags"
    result = CliRunner().invoke(
        main, ["dags", "render", "-C", str(first), "-C", str(second), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["dag_id"] for row in rows] == ["house-prices", "churn-risk"]
    assert [row["monitor_dag_id"] for row in rows] == ["house-prices.monitor", "churn-risk.monitor"]
    assert sorted(p.name for p in out.iterdir()) == [
        "stainless_churn_risk.py",
        "stainless_churn_risk__monitor.py",
        "stainless_house_prices.py",
        "stainless_house_prices__monitor.py",
    ]
    monitor = read_spec((out / "stainless_churn_risk__monitor.py").read_text())
    assert monitor["kind"] == "monitor" and monitor["schedule"] == "@hourly"
    churn = read_spec((out / "stainless_churn_risk.py").read_text())
    assert churn["schedule"] is None and churn["target"] == "local"
    assert churn["config"]["metric"] == "roc_auc"


def test_aws_target_uses_the_aws_environment_and_image(bake, tmp_path: Path) -> None:
    project = bake()
    out = tmp_path / "dags"
    result = CliRunner().invoke(
        main,
        [
            "dags",
            "render",
            "-C",
            str(project),
            "--target",
            "aws",
            "--out",
            str(out),
            "--image",
            "img:1",
            "--retries",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    spec = read_spec((out / "stainless_house_prices.py").read_text())
    assert spec["env"] == "aws" and spec["project_dir"] is None
    assert spec["aws"]["image"] == "img:1"
    assert spec["retries"]["retries"] == 0
    assert spec["tasks"]["train"]["instance"]["instance_type"].startswith("ml.")


def test_two_projects_with_one_name_are_refused(bake, tmp_path: Path) -> None:
    project = bake()
    result = CliRunner().invoke(
        main, ["dags", "render", "-C", str(project), "-C", str(project), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "both named 'house-prices'" in result.output


def test_instance_picks_the_cheapest_fit() -> None:
    result = CliRunner().invoke(main, ["dags", "instance", "--cpus", "2", "--memory-gb", "3"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ml.m5.large:")  # t3 types cannot run training jobs
    result = CliRunner().invoke(
        main, ["dags", "instance", "--cpus", "2", "--memory-gb", "3", "--kind", "processing"]
    )
    assert result.output.startswith("ml.t3.medium:")


def test_upload_of_an_empty_folder_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["dags", "upload", "--bucket", "b", str(tmp_path)])
    assert result.exit_code != 0
    assert "stainless dags render" in result.output
