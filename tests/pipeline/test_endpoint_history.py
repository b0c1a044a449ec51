"""The endpoint's recorded history and its cost per variant per day: integrated across midnight
and autoscaling, and recorded from a real (moto) SageMaker endpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from stainless.backends.compute.instances import BUNDLED
from stainless.pipeline.cost import BILLABLE, NOTIONAL
from stainless.pipeline.endpoint_history import (
    EndpointChange,
    VariantCapacity,
    endpoint_costs,
    endpoint_history,
)
from stainless.workspace import open_workspace


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def _variant(name: str, version: int, count: int, instance: str | None = "ml.m5.large"):
    return VariantCapacity(name, version, instance, count, 1.0)


def test_endpoint_days_integrate_the_history_across_midnight_and_autoscaling() -> None:
    history = [
        EndpointChange(_at("2026-03-01T22:00:00"), "v1 deployed", (_variant("v1", 1, 1),)),
        # autoscaling: 3 instances from 23:00 to 01:00 the next day
        EndpointChange(_at("2026-03-01T23:00:00"), "scaled", (_variant("v1", 1, 3),)),
        EndpointChange(
            _at("2026-03-02T01:00:00"),
            "canary",
            (_variant("v1", 1, 1), _variant("v2", 2, 2, "ml.c5.xlarge")),
        ),
        EndpointChange(_at("2026-03-02T02:30:00"), "down", ()),
    ]
    rows = endpoint_costs(
        history,
        _at("2026-03-01T00:00:00"),
        _at("2026-03-03T00:00:00"),
        serve_cpus=1,
        serve_memory_gb=2,
        table=BUNDLED,
    )
    got = {(r.day, r.variant): r.instance_hours for r in rows}
    assert got == {
        ("2026-03-01", "v1"): pytest.approx(1 + 3),  # 22-23 x1, 23-24 x3
        ("2026-03-02", "v1"): pytest.approx(3 + 1.5),  # 00-01 x3, 01-02:30 x1
        ("2026-03-02", "v2"): pytest.approx(2 * 1.5),
    }
    v2 = next(r for r in rows if r.variant == "v2")
    assert v2.basis == BILLABLE and v2.usd == pytest.approx(
        3 * BUNDLED.get("ml.c5.xlarge").price("endpoint")
    )
    # The window cuts the history: only what ran inside it is counted.
    cut = endpoint_costs(
        history,
        _at("2026-03-02T02:00:00"),
        _at("2026-03-02T03:00:00"),
        serve_cpus=1,
        serve_memory_gb=2,
        table=BUNDLED,
    )
    assert {r.variant: r.instance_hours for r in cut} == {"v1": 0.5, "v2": 1.0}
    # A local variant (no instance type) is priced notionally from resources.serve.
    local = endpoint_costs(
        [EndpointChange(_at("2026-03-01T00:00:00"), "up", (_variant("v1", 1, 1, None),))],
        _at("2026-03-01T00:00:00"),
        _at("2026-03-01T12:00:00"),
        serve_cpus=1,
        serve_memory_gb=2,
        table=BUNDLED,
    )
    assert local[0].basis == NOTIONAL and local[0].instance_type == "ml.t2.medium"
    assert local[0].usd == pytest.approx(12 * BUNDLED.get("ml.t2.medium").price("endpoint"))


@pytest.mark.integration
def test_a_sagemaker_endpoint_is_costed_from_its_recorded_instances(
    bake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real (moto) SageMaker endpoint: its variants' instance type and count are recorded as
    they change (autoscaling included), and the days are integrated from that history."""
    import boto3
    import httpx
    from stainless.backends.endpoints import VariantSpec
    from stainless.pipeline.endpoint_history import record_endpoint
    from support.moto_server import moto_server

    role = "arn:aws:iam::123456789012:role/sagemaker"
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/house-prices:abc123"
    project_dir = bake()
    with moto_server(monkeypatch) as url:
        httpx.post(f"{url}/moto-api/reset").raise_for_status()
        # SageMaker's data capture writes to S3: the store is on (moto's) S3, as in production.
        boto3.client("s3").create_bucket(Bucket="artifacts")
        monkeypatch.setenv("STAINLESS_STORE", "s3://artifacts/house-prices")
        monkeypatch.setenv(
            "STAINLESS_ENDPOINT",
            f"sagemaker://?role={role}&image={image}&instance_type=ml.m5.large&instance_count=1",
        )
        project = open_workspace(project_dir)
        project.endpoint.poll_s = 0.05
        project.endpoint.up(
            VariantSpec("v1", 1, Path("/unused"), 1.0, model_data="s3://a/r1/model.tar.gz")
        )
        start = _at("2026-03-01T22:00:00")
        assert record_endpoint(project, "v1 deployed", now=start) is not None
        # Autoscaling (not us) raises the count; the next look records it, once.
        project.endpoint.sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=project.name,
            DesiredWeightsAndCapacities=[{"VariantName": "v1", "DesiredInstanceCount": 3}],
        )
        assert record_endpoint(project, "observed", now=start + 3600) is not None
        assert record_endpoint(project, "observed", now=start + 5400) is None  # no change
        project.endpoint.down()
        assert record_endpoint(project, "stopped", now=start + 3 * 3600) is not None
        history = endpoint_history(project.store)
        assert [[(v.instance_type, v.instance_count) for v in c.variants] for c in history] == [
            [("ml.m5.large", 1)],
            [("ml.m5.large", 3)],
            [],
        ]
        rows = endpoint_costs(
            history, start - 86400, start + 86400, serve_cpus=1, serve_memory_gb=1, table=BUNDLED
        )
        assert [(r.day, r.variant, r.instance_hours, r.basis) for r in rows] == [
            ("2026-03-01", "v1", 4.0, BILLABLE),  # 22-23 x1, 23-24 x3
            ("2026-03-02", "v1", 3.0, BILLABLE),  # 00-01 x3
        ]
        assert rows[0].usd == pytest.approx(4 * BUNDLED.get("ml.m5.large").price("endpoint"))
