"""The suite's sandbox: the project's stages run once per session into a temporary store and
registry; a stage's failure is raised in its own test and reported once to the tests after it."""

from __future__ import annotations

from pathlib import Path

import pytest
from stainless.core.errors import HookError
from stainless.pipeline.stages import run_stage
from stainless.project.config import load_config
from stainless.testing.sandbox import (
    CollectingNotifier,
    StageFailed,
    Stages,
    is_finite_number,
    open_sandbox,
    sandbox_environment,
)


def sandboxed(project_dir: Path, sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> Stages:
    for name, value in sandbox_environment(sandbox).items():
        monkeypatch.setenv(name, value)
    return Stages(open_sandbox(load_config(project_dir), sandbox), run_stage)


def test_stages_run_once_into_the_sandbox(bake, tmp_path: Path, monkeypatch):
    project_dir = bake()
    stages = sandboxed(project_dir, tmp_path / "sandbox", monkeypatch)
    trained = stages.result("train")  # preprocess first, as `pytest -k train` needs
    assert stages.result("train") is trained
    assert stages.require("preprocess").splits["train"].rows > 0
    assert (tmp_path / "sandbox" / "registry.db").is_file()
    assert any((tmp_path / "sandbox" / "store").rglob("model.tar.gz"))
    assert stages.project.work_dir == tmp_path / "sandbox" / "work"
    assert not (project_dir / ".stainless").exists()  # nothing written into the repository
    notifier = stages.project.notifier
    assert isinstance(notifier, CollectingNotifier)
    assert "training_finished" in [event.kind for event in notifier.events]


def test_a_failed_stage_is_raised_in_its_test_and_reported_to_later_ones(
    bake, tmp_path: Path, monkeypatch
):
    project_dir = bake()
    preprocess = project_dir / "preprocess.py"
    good = preprocess.read_text()
    preprocess.write_text("def preprocess(ctx):\n    return None\n")
    stages = sandboxed(project_dir, tmp_path / "sandbox", monkeypatch)
    with pytest.raises(HookError, match="preprocess must return a stainless.Datasets"):
        stages.result("preprocess")
    preprocess.write_text(good)  # the session does not run it again
    with pytest.raises(StageFailed, match="preprocess failed \\(see the test of preprocess\\)"):
        stages.result("train")
    with pytest.raises(HookError):
        stages.result("preprocess")


@pytest.mark.parametrize(
    ("value", "finite"),
    [(1, True), (2.5, True), (float("nan"), False), (float("inf"), False), (True, False),
     ("1", False), (None, False)],
)  # fmt: skip
def test_finite_numbers(value, finite):
    assert is_finite_number(value) is finite
