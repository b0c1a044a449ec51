"""stainless.project.context: the ``ctx`` a data scientist's preprocess and train receive."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from stainless import Context  # noqa: E402
from stainless.core.errors import HookError  # noqa: E402
from stainless.workspace import Workspace, open_workspace  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def workspace(bake: Callable[..., Path]) -> Workspace:
    return open_workspace(bake())


def context(workspace: Workspace, tmp_path: Path, stage: str = "train", **kwargs) -> Context:
    return Context(workspace.config, "run-1", stage, tmp_path / "work", **kwargs)


def test_the_config_answers_what_a_hook_asks(workspace: Workspace, tmp_path: Path):
    ctx = context(workspace, tmp_path)
    assert ctx.target == "price" and ctx.test_size == 0.2
    original = dict(workspace.config.params)
    assert ctx.params == original
    ctx.params["alpha"] = -1.0  # a hook changes its own copy, never the config
    assert dict(workspace.config.params) == original
    assert context(workspace, tmp_path).seed == int(workspace.config.params.get("seed", 0))


def test_data_is_read_from_the_source_preprocess_gets(workspace: Workspace, tmp_path: Path):
    ctx = context(workspace, tmp_path, stage="preprocess", data=workspace.open_data())
    houses = ctx.read("houses")
    assert "price" in houses.columns and len(houses) > 100
    counted = ctx.query("SELECT count(*) AS n FROM houses WHERE price > ?", [0])
    assert int(counted["n"].iloc[0]) == len(houses)
    with pytest.raises(HookError) as refused:
        context(workspace, tmp_path).read("houses")  # train gets datasets, not a source
    assert "train stage has no data source" in refused.value.message
    assert "preprocess.py" in (refused.value.fix or "")


def test_metrics_are_kept_with_the_run_and_checked(workspace: Workspace, tmp_path: Path):
    ctx = context(workspace, tmp_path)
    ctx.log_metric("train_rmse", 12.5)
    ctx.log_metric("epochs", 3)
    assert json.loads(ctx.metrics_file.read_text()) == {"epochs": 3.0, "train_rmse": 12.5}
    for name, value in (("train rmse", 1.0), ("loss", float("nan")), ("loss", float("inf"))):
        with pytest.raises(HookError) as refused:
            ctx.log_metric(name, value)
        assert refused.value.file == "train.py"
        assert refused.value.expected == "a simple name and a finite number"


def test_figures_are_saved_as_png_from_bytes_or_matplotlib(workspace: Workspace, tmp_path: Path):
    ctx = context(workspace, tmp_path)
    figure, axis = plt.subplots()
    axis.plot([1, 2, 3])
    try:
        drawn = ctx.save_figure("residuals", figure)
    finally:
        plt.close(figure)
    assert drawn.name == "residuals.png" and drawn.read_bytes().startswith(PNG)
    given = ctx.save_figure("given.png", drawn.read_bytes())
    assert given.read_bytes() == drawn.read_bytes()
    with pytest.raises(HookError) as wrong:
        ctx.save_figure("table", {"not": "a figure"})
    assert wrong.value.found == "dict"
    with pytest.raises(HookError):
        ctx.save_figure("../escape", PNG)  # names stay inside the run's figures folder
