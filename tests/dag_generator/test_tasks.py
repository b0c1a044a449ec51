"""What the DAG's tasks do, called the way Airflow calls them (spec + task context), on a real
baked model: the local target runs the real stages; the aws target starts real (moto) jobs."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from stainless.core.errors import StageError
from stainless.pipeline.cost import run_cost
from stainless.pipeline.stages import Decide, TrainResult
from stainless.project.config import load_config
from stainless.workspace import markers
from support.moto_server import moto_server

from dag_generator import tasks
from dag_generator.spec import build_spec


def _context(run_id: str, **params: bool) -> dict[str, Any]:
    # Airflow hands tasks its DagRun; only run_id is read from it.
    return {
        "dag_run": SimpleNamespace(run_id=run_id),
        "params": {"skip_canary": False, "force_promote": False, **params},
    }


def _train(spec: dict[str, Any], context: dict[str, Any]) -> None:
    for stage in ("preprocess", "train", "evaluate"):
        result = tasks.execute_stage(spec, stage, context)
        assert result["stage"] == stage


@pytest.mark.integration
def test_local_run_branches_on_the_decision(bake) -> None:
    project_dir = bake()
    spec = build_spec(load_config(project_dir), "local")
    first = _context("manual__2026-01-01T00:00:00+00:00")
    _train(spec, first)
    assert tasks.choose_branch(spec, first) == "deploy"
    # skip_canary changes how deploy deploys (all traffic at once), not the branch.
    assert tasks.choose_branch(spec, _context(first["dag_run"].run_id, skip_canary=True)) == (
        "deploy"
    )
    project = tasks.open_project(spec)
    run_id = tasks.run_id_of(first)
    assert run_id == "manual__2026-01-01T00-00-00-00-00"
    assert Decide.completed(project, run_id).action == "promote"
    # On the local target the heavy stages run on the worker: priced notionally.
    stages = run_cost(project.store, run_id).stages
    assert [c.stage for c in stages] == ["preprocess", "train", "evaluate", "decide"]
    assert {c.basis for c in stages} == {"notional"}
    # deploy -> rollout -> finalize: the first version takes all traffic at once.
    assert tasks.execute_stage(spec, "deploy", first)["deployed"] is True
    assert tasks.rollout_tick(spec, first) is True
    assert tasks.finalize(spec, first)["outcome"] == "promoted"

    # Same data, same model: no improvement, so the second run stops with a message.
    second = _context("scheduled__2026-01-02T00:00:00+00:00")
    _train(spec, second)
    assert tasks.choose_branch(spec, second) == "not_promoted"
    outcome = tasks.not_promoted(spec, second)
    assert outcome["outcome"] == "not promoted" and outcome["reason"]
    forced = _context(second["dag_run"].run_id, force_promote=True)
    assert tasks.choose_branch(spec, forced) == "deploy"
    statuses = [version.status for version in project.registry.list()]
    assert sorted(statuses) == ["production", "rejected"]


def test_aws_without_image_or_role_says_what_to_set(bake) -> None:
    config = load_config(bake(), env="aws")
    spec = build_spec(config, "aws")
    project = tasks.open_project(spec)
    with pytest.raises(StageError, match="no image, role") as caught:
        tasks.run_on_sagemaker(project, spec, "preprocess", "run-1")
    assert "STAINLESS_IMAGE" in caught.value.render()


@pytest.mark.integration
def test_aws_job_that_records_no_result_fails_the_task(
    bake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    import httpx

    # The store stays local (no S3 store needed to check markers); the job runs on "SageMaker".
    config = load_config(bake(), env="aws")
    spec = build_spec(
        config, "aws", image="img:1", role_arn="arn:aws:iam::1:role/r", output_uri="s3://out/jobs"
    )
    spec["config"]["environments"]["aws"]["store"] = f"file://{tmp_path / 'store'}"
    with moto_server(monkeypatch) as url:
        httpx.post(f"{url}/moto-api/reset").raise_for_status()
        # What the task asks SageMaker for, as sent (moto does not keep a job's Environment).
        sent: list[dict[str, Any]] = []
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # restored after the test
        boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register(
            "provide-client-params.sagemaker.CreateTrainingJob",
            lambda params, **_: sent.append(params),
        )
        project = tasks.open_project(spec)
        # moto completes the job without running our image, so nothing reaches the store:
        # exactly the case of an image pointed at another store.
        with pytest.raises(StageError, match="recorded no result"):
            tasks.run_on_sagemaker(project, spec, "train", "run-1")
        jobs = boto3.client("sagemaker").list_training_jobs()["TrainingJobSummaries"]
        assert len(jobs) == 1
        # The job is billed whatever it did: its cost is recorded with the run, on the instance
        # the spec picked, from SageMaker's own account of the time (moto: start == end).
        [billed] = run_cost(project.store, "run-1").stages
        assert billed.stage == "train" and billed.basis == "billable"
        assert billed.instance_type == spec["tasks"]["train"]["instance"]["instance_type"]
        assert billed.seconds == 0.0 and billed.usd == 0.0
        assert billed.prices.startswith("us-east-1 prices of")
        # The job knows its instance (to price its own time) and its image (for the lineage).
        [created] = sent
        assert created["Environment"]["STAINLESS_INSTANCE_TYPE"] == billed.instance_type
        assert created["Environment"]["STAINLESS_IMAGE_URI"] == "img:1"
        # Once the stage's marker exists (written by the job), a retry starts nothing.
        record = TrainResult(7, "runs/run-2/model.tar.gz", 1.0).to_record()
        markers.mark_completed(project.store, "run-2", "train", record)
        assert tasks.run_on_sagemaker(project, spec, "train", "run-2").version == 7
        assert len(boto3.client("sagemaker").list_training_jobs()["TrainingJobSummaries"]) == 1


@pytest.mark.integration
def test_aws_jobs_and_the_dag_file_carry_secret_references_never_values(
    bake, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import json

    import boto3
    import httpx

    from dag_generator.render import render_dag_file

    token = "xoxb-worker-only-secret-42"
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    config = load_config(bake(), env="aws")
    spec = build_spec(
        config, "aws", image="img:1", role_arn="arn:aws:iam::1:role/r", output_uri="s3://out/jobs"
    )
    spec["config"]["environments"]["aws"]["store"] = f"file://{tmp_path / 'store'}"
    reference = spec["config"]["environments"]["aws"]["secrets"]["SLACK_BOT_TOKEN"]
    assert reference == "secretsmanager://stainless/slack#bot_token"
    # The job definitions exactly as sent to SageMaker (moto does not keep Environment): every
    # client of the default session reports the parameters of its sagemaker calls.
    sent: dict[str, dict] = {}
    session = boto3.session.Session()
    session.events.register(
        "provide-client-params.sagemaker",
        lambda params, model, **_: sent.setdefault(model.name, json.loads(json.dumps(params))),
    )
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", session)
    with moto_server(monkeypatch) as url:
        httpx.post(f"{url}/moto-api/reset").raise_for_status()
        boto3.client("secretsmanager").create_secret(
            Name="stainless/slack", SecretString=json.dumps({"bot_token": token})
        )
        project = tasks.open_project(spec)
        project.use_secrets()  # the worker holds the token (it notifies)...
        assert os.environ["SLACK_BOT_TOKEN"] == token
        for stage in ("preprocess", "train"):  # ...and starts the jobs
            with pytest.raises(StageError, match="recorded no result"):
                tasks.run_on_sagemaker(project, spec, stage, "run-1")
    created = {name: request for name, request in sent.items() if name.startswith("Create")}
    assert set(created) == {"CreateProcessingJob", "CreateTrainingJob"}
    stage_of = {"CreateProcessingJob": "preprocess", "CreateTrainingJob": "train"}
    for operation, request in created.items():
        # Only the run id, the log format and the environment's name: the job resolves the
        # secrets itself from model.yaml in the image, with its own IAM role. Plus two public
        # facts for cost and lineage: its instance type and its image.
        assert request["Environment"] == {
            "STAINLESS_RUN_ID": "run-1",
            "STAINLESS_LOG_FORMAT": "plain",
            "STAINLESS_ENV": "aws",
            "STAINLESS_INSTANCE_TYPE": spec["tasks"][stage_of[operation]]["instance"][
                "instance_type"
            ],
            "STAINLESS_IMAGE_URI": "img:1",
        }, operation
        assert token not in json.dumps(request, default=str)
    dag_file = render_dag_file(spec)
    assert reference in dag_file and token not in dag_file
    assert token not in caplog.text
