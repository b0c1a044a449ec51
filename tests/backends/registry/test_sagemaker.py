"""The SageMaker model registry through real boto3 against a real moto server.

The behaviour every registry shares runs from tests/backends/registry/contract.py; the tests
here pin down what is particular to SageMaker: the approval mapping, the metadata limits, the
console-side changes stainless must see, and a whole lifecycle using it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from stainless.backends.registry import ModelRegistry, open_registry
from stainless.backends.registry.package_metadata import (
    MAX_KEYS,
    RUN_ID_KEY,
    STATUS_KEY,
    is_valid_value,
)
from stainless.core.errors import BackendError, StainlessError
from support.moto_server import moto_server

from tests.backends.registry.contract import RegistryBehaviour


@pytest.fixture
def moto(monkeypatch):
    import httpx

    with moto_server(monkeypatch) as url:
        httpx.post(f"{url}/moto-api/reset").raise_for_status()  # moto state is per process
        yield url


@pytest.fixture
def registry(moto, tmp_path: Path) -> ModelRegistry:
    return open_registry("sagemaker://house-prices", tmp_path)


@pytest.fixture
def sagemaker(moto):
    import boto3

    return boto3.client("sagemaker")


def package(sagemaker, version: int, group: str = "house-prices") -> dict:
    summaries = sagemaker.list_model_packages(ModelPackageGroupName=group)
    (arn,) = [
        s["ModelPackageArn"]
        for s in summaries["ModelPackageSummaryList"]
        if s["ModelPackageVersion"] == version
    ]
    return sagemaker.describe_model_package(ModelPackageName=arn)


# -- what every registry does (tests/backends/registry/contract.py) -------------------------------


@pytest.mark.integration
class TestRegistryBehaviour(RegistryBehaviour):
    pass


@pytest.mark.integration
def test_two_processes_see_each_others_writes(moto, tmp_path: Path):
    # Nothing is cached between calls: a second registry object (another process, in production
    # an Airflow task) sees the first one's versions and statuses at once.
    first = open_registry("sagemaker://house-prices", tmp_path)
    second = open_registry("sagemaker://house-prices", tmp_path)
    for i in range(3):
        (first if i % 2 else second).register(f"run-{i}", "u", {})
    first.promote(2, "ok")
    assert second.production().version == 2
    assert [v.run_id for v in second.list()] == ["run-0", "run-1", "run-2"]


# -- the mapping onto SageMaker -----------------------------------------------------------------


@pytest.mark.integration
def test_a_promotion_cut_short_is_completed_by_the_next(registry):
    for run in ("a", "b", "c"):
        registry.register(run, "u", {})
    registry.promote(1, "first")
    # promote(2) approves version 2 first; suppose it died before archiving version 1.
    registry.set_status(2, "production", "promote cut short")
    assert registry.production().version == 2
    assert registry.promote(3, "better").version == 2
    assert {v.version: v.status for v in registry.list()} == {
        1: "archived",
        2: "archived",
        3: "production",
    }


@pytest.mark.integration
def test_statuses_map_onto_approval_and_metadata(registry, sagemaker):
    registry.register("a", "s3://artifacts/runs/a/model.tar.gz", {"git": {"commit": "abc123"}})
    registry.register("b", "u", {})
    registry.register("c", "u", {})
    registry.promote(1, "first")
    registry.set_status(2, "rejected", "worse than production")
    registry.set_status(3, "rolled_back", "5xx during canary")
    expected = {
        1: ("Approved", "production"),
        2: ("Rejected", "rejected"),
        3: ("Rejected", "rolled_back"),
    }
    for version, (approval, status) in expected.items():
        found = package(sagemaker, version)
        assert found["ModelApprovalStatus"] == approval
        assert found["CustomerMetadataProperties"][STATUS_KEY] == status
    first = package(sagemaker, 1)
    assert first["CustomerMetadataProperties"][RUN_ID_KEY] == "a"
    assert first["ApprovalDescription"] == "first"
    assert first["MetadataProperties"]["CommitId"] == "abc123"
    group = sagemaker.describe_model_package_group(ModelPackageGroupName="house-prices")
    assert group["ModelPackageGroupName"] == "house-prices"


@pytest.mark.integration
def test_inference_specification_when_image_and_s3_artifact(moto, sagemaker, tmp_path, monkeypatch):
    monkeypatch.setenv("STAINLESS_IMAGE_URI", "1234.dkr.ecr.us-east-1.amazonaws.com/hp:env")
    from_env = open_registry("sagemaker://house-prices", tmp_path)
    from_env.register("s3-run", "s3://artifacts/runs/s3-run/model.tar.gz", {})
    from_env.register("local-run", "file:///tmp/model.tar.gz", {})
    spec = package(sagemaker, 1)["InferenceSpecification"]
    assert spec["Containers"] == [
        {
            "Image": "1234.dkr.ecr.us-east-1.amazonaws.com/hp:env",
            "ModelDataUrl": "s3://artifacts/runs/s3-run/model.tar.gz",
        }
    ]
    assert spec["SupportedContentTypes"] == ["application/json"]
    # SageMaker cannot deploy from file://, so that package has no inference specification.
    assert "InferenceSpecification" not in package(sagemaker, 2)
    assert from_env.get(2).artifact_uri == "file:///tmp/model.tar.gz"
    from_query = open_registry("sagemaker://house-prices?image=repo/hp:query", tmp_path)
    from_query.register("s3-run-2", "s3://artifacts/runs/2/model.tar.gz", {})
    assert package(sagemaker, 3)["InferenceSpecification"]["Containers"][0]["Image"] == (
        "repo/hp:query"
    )


@pytest.mark.integration
def test_every_metadata_value_fits_sagemaker_limits(registry, sagemaker):
    # moto does not enforce SageMaker's metadata limits; the real service refuses violations.
    lineage = {
        "git": {"commit": "f" * 40, "dirty": False},
        "environment": {f"package-{i}": f"{i}.{i}.{i}" for i in range(200)},
        "hooks": {"train.py": "sha256:" + "ab" * 32},
        "note": 'quotes " braces { } commas , and unicode é',
    }
    registry.register("a", "s3://b/k", lineage)
    registry.update_metrics(1, {"rmse": 1.5, "per_fold": list(range(100))})
    registry.record_decision(1, {"action": "promote", "interval": [0.1, 0.2]})
    properties = package(sagemaker, 1)["CustomerMetadataProperties"]
    assert len(properties) <= MAX_KEYS
    assert all(is_valid_value(value) for value in properties.values())
    assert registry.get(1).lineage == lineage


@pytest.mark.integration
def test_oldest_events_give_way_to_stay_within_limits(registry, sagemaker):
    import secrets

    registry.register("a", "u", {})
    for i in range(150):  # random reasons: compression must not make room for them all
        registry.set_status(1, "rejected", f"reason {i} {secrets.token_hex(64)}")
    events = registry.events(1)
    assert events[0]["kind"] == "events_truncated" and events[0]["dropped"] > 0
    assert events[-1]["reason"].startswith("reason 149 ")
    assert len(events) - 1 + events[0]["dropped"] == 151
    assert len(package(sagemaker, 1)["CustomerMetadataProperties"]) <= MAX_KEYS


@pytest.mark.integration
def test_record_too_big_for_sagemaker_is_a_clear_error(registry):
    import secrets

    noise = {f"k{i}": secrets.token_hex(64) for i in range(200)}  # incompressible
    with pytest.raises(BackendError, match="metadata entries but only .* are free"):
        registry.register("a", "u", noise)


@pytest.mark.integration
def test_approval_changed_in_the_console_wins(registry, sagemaker):
    registry.register("a", "u", {})
    registry.register("b", "u", {})
    registry.promote(1, "first")
    # Someone approves version 2 and rejects version 1 in SageMaker Studio / the AWS CLI.
    for version, approval in ((2, "Approved"), (1, "Rejected")):
        found = package(sagemaker, version)
        sagemaker.update_model_package(
            ModelPackageArn=found["ModelPackageArn"],
            ModelApprovalStatus=approval,
            CustomerMetadataProperties={**found["CustomerMetadataProperties"], "owner": "ops"},
        )
    assert registry.production().version == 2
    assert registry.get(1).status == "rejected"
    registry.update_metrics(2, {"rmse": 1.0})
    assert package(sagemaker, 2)["CustomerMetadataProperties"]["owner"] == "ops"


@pytest.mark.integration
def test_packages_not_registered_by_stainless_are_left_out(registry, sagemaker):
    registry.register("a", "u", {})
    sagemaker.create_model_package(
        ModelPackageGroupName="house-prices",
        ModelApprovalStatus="Approved",
        InferenceSpecification={
            "Containers": [{"Image": "repo/other:1", "ModelDataUrl": "s3://b/other.tar.gz"}],
            "SupportedContentTypes": ["application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
    )
    assert [v.version for v in registry.list()] == [1]
    assert registry.production() is None
    with pytest.raises(StainlessError, match="not registered by stainless"):
        registry.get(2)


def test_invalid_group_name_names_the_fix(tmp_path):
    with pytest.raises(BackendError, match="registry:.*not a valid SageMaker.*Fix: use"):
        open_registry("sagemaker://house_prices", tmp_path)


@pytest.mark.integration
def test_a_lifecycle_registers_in_sagemaker(moto, bake, monkeypatch):
    from click.testing import CliRunner
    from stainless.cli import main
    from stainless.pipeline.runner import run_lifecycle
    from stainless.workspace import open_workspace

    project_dir = bake()
    monkeypatch.setenv("STAINLESS_REGISTRY", "sagemaker://house-prices")
    project = open_workspace(project_dir)
    report = run_lifecycle(project, "sm-run", in_process=True, until="decide")
    assert report.ok, report.error
    candidate = project.registry.by_run("sm-run")
    assert candidate is not None and candidate.status == "candidate"
    assert candidate.decision["action"] == "promote"
    assert project.registry.promote(candidate.version, "approved by the test") is None
    assert not (project_dir / ".stainless" / "registry.db").exists()

    result = CliRunner().invoke(main, ["versions", "--json", "--project-dir", str(project_dir)])
    assert result.exit_code == 0, result.output
    (listed,) = json.loads(result.stdout)  # stderr carries the moto server's request log
    assert listed["version"] == candidate.version and listed["status"] == "production"
    assert listed["run_id"] == "sm-run"
    assert listed["metrics"][project.config.metric] == pytest.approx(
        candidate.metrics[project.config.metric]
    )
    assert listed["lineage"]["data_fingerprint"] == candidate.lineage["data_fingerprint"]
