"""The lifecycle on a real baked template project, stages called in this process."""

import json
import shutil
from pathlib import Path

import pytest
from stainless.backends.notify.console import ConsoleNotifier
from stainless.pipeline.runner import run_lifecycle
from stainless.pipeline.stages import Train, run_stage
from stainless.project.config import load_config
from stainless.workspace import Workspace


@pytest.fixture(scope="module")
def template_project(tmp_path_factory) -> Path:
    from cookiecutter.main import cookiecutter
    from stainless.project.template import template_dir

    out = tmp_path_factory.mktemp("tpl")
    return Path(cookiecutter(str(template_dir()), no_input=True, output_dir=str(out)))


@pytest.fixture
def project_dir(template_project: Path, tmp_path: Path) -> Path:
    target = tmp_path / "house-prices"
    shutil.copytree(template_project, target)
    return target


def open_with_log(path: Path) -> tuple[Workspace, ConsoleNotifier]:
    notifier = ConsoleNotifier()
    return Workspace(load_config(path), notifier_override=notifier), notifier


@pytest.mark.integration
def test_two_runs_promote_then_compare(project_dir):
    project, notifier = open_with_log(project_dir)
    first = run_lifecycle(project, "run-1", in_process=True)
    assert first.ok, first.error
    assert first.stages["decide"].action == "promote"
    assert first.stages["evaluate"].production is None
    # The first version has nothing to be compared with: it takes all traffic at once.
    assert first.stages["rollout"].state == "promoted" and first.stages["rollout"].ticks == 0
    assert [v.name for v in project.endpoint.status().variants] == ["v1"]
    second = run_lifecycle(project, "run-2", in_process=True)
    assert second.ok, second.error
    evaluation = second.stages["evaluate"]
    assert evaluation.production.version == 1
    # Same data and code: both versions score the same, so the second is not better.
    assert evaluation.production.value == pytest.approx(evaluation.candidate.value)
    assert second.stages["decide"].action == "reject"
    versions = {v.version: v for v in project.registry.list()}
    assert versions[1].status == "production" and versions[2].status == "rejected"
    lineage = versions[2].lineage
    assert {"config_hash", "data_fingerprint", "run_id", "hooks", "git"} <= set(lineage)
    assert lineage["data_fingerprint"] == versions[1].lineage["data_fingerprint"]
    assert versions[2].metrics["rmse"] == pytest.approx(evaluation.candidate.value)
    kinds = [event.kind for event in notifier.sent]
    assert kinds.count("decision") == 2 and "training_finished" in kinds
    assert "deploy" not in second.stages  # rejected: never deployed
    assert project.store.exists("runs/run-1/figures/evaluation.png")
    assert project.store.exists("runs/run-1/figures/coefficients.png")


@pytest.mark.integration
def test_until_stops_and_a_failed_run_resumes(project_dir):
    project, notifier = open_with_log(project_dir)
    model_py = project_dir / "model.py"
    good = model_py.read_text()
    model_py.write_text(
        good.replace('{"prediction": price} for price', '{"prediction": "high"} for price')
    )
    report = run_lifecycle(project, "resume-me", in_process=True)
    assert report.failed == "evaluate"
    assert "model.py" in report.error and "/prediction" in report.error
    assert any(e.kind == "stage_failed" and e.severity == "alert" for e in notifier.sent)
    assert Train.completed(project, "resume-me") is not None
    # The fix is in model.py, which is packaged at train time: retrain, then resume.
    model_py.write_text(good)
    run_stage(project, "train", "resume-me", force=True)
    resumed = run_lifecycle(project, "resume-me", in_process=True)
    assert resumed.ok and resumed.stages["decide"].action == "promote"


@pytest.mark.integration
def test_classification_variant_learns(bake, tmp_path):
    path = bake(metric="roc_auc", promotion_criterion="bootstrap_95")
    project, _ = open_with_log(path)
    report = run_lifecycle(project, "c1", in_process=True)
    assert report.ok, report.error
    assert report.stages["evaluate"].candidate.value > 0.85  # really learns
    decision = json.loads(project.store.get_bytes("runs/c1/stages/decide.json"))
    assert decision["action"] == "promote"
    assert project.registry.production().version == 1


@pytest.mark.integration
def test_stages_as_limited_processes(project_dir, capfd):
    """Without --in-process each heavy stage is its own process (forked from this one when no
    other thread runs here, see tests/backends/compute), and its results come back through the
    store."""
    project, _ = open_with_log(project_dir)
    report = run_lifecycle(project, "separate", until="decide", in_process=False)
    assert report.ok, report.error
    assert report.stages["decide"].action == "promote"
    # The stages' own lines (their stdout goes to stderr, as spawned ones did).
    assert "preprocess done for run separate" in capfd.readouterr().err
