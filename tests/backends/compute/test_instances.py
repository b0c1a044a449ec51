"""The cheapest fitting SageMaker instance type (the talk's sizing tool)."""

from __future__ import annotations

import pytest
from stainless.backends.compute.instances import (
    INSTANCE_TYPES,
    cheapest_instance,
    resolve_instance,
)
from stainless.core.errors import ConfigError


@pytest.mark.parametrize(
    ("cpus", "memory_gb", "kind", "expected"),
    [
        (1, 2, "training", "ml.m5.large"),
        (1, 2, "processing", "ml.t3.medium"),
        (1, 1, "endpoint", "ml.t2.medium"),  # endpoints take t2, not t3
        (4, 8, "endpoint", "ml.c5.xlarge"),
        (4, 8, "training", "ml.c5.xlarge"),  # compute optimised beats m5.xlarge at 8 GiB
        (4, 20, "training", "ml.r5.xlarge"),  # memory optimised beats m5.2xlarge
        (2, 16, "training", "ml.r5.large"),
        (40, 100, "training", "ml.m5.12xlarge"),
    ],
)
def test_cheapest_fit(cpus: float, memory_gb: float, kind: str, expected: str) -> None:
    picked = cheapest_instance(cpus, memory_gb, kind)
    assert picked.name == expected
    assert picked.fits(cpus, memory_gb)


def test_the_pick_is_never_beaten_by_a_cheaper_fitting_type() -> None:
    for cpus in (1, 2, 3, 4, 8, 16, 30, 64):
        for memory_gb in (1, 4, 8, 12, 30, 64, 100, 300):
            picked = cheapest_instance(cpus, memory_gb, "training")
            for other in INSTANCE_TYPES:
                if "training" in other.kinds and other.fits(cpus, memory_gb):
                    assert other.hourly_usd >= picked.hourly_usd


def test_too_big_names_the_key_and_the_largest_type() -> None:
    with pytest.raises(ConfigError) as caught:
        cheapest_instance(8, 5000, "training", key="resources.train")
    text = caught.value.render()
    assert "resources.train" in text and "ml.r5.24xlarge" in text and "instance_type" in text


def test_instance_type_in_model_yaml_wins() -> None:
    chosen = resolve_instance(
        {"cpus": 1, "memory_gb": 2, "instance_type": "ml.g5.xlarge"}, "training", "resources.train"
    )
    assert chosen["instance_type"] == "ml.g5.xlarge" and chosen["source"] == "model.yaml"
    picked = resolve_instance(
        {"cpus": 1, "memory_gb": 2, "instance_type": None}, "training", "resources.train"
    )
    assert picked["instance_type"] == "ml.m5.large" and picked["source"] == "cheapest fitting"


@pytest.mark.parametrize(
    ("kind", "shape"),
    [
        ("training", "TrainingInstanceType"),
        ("processing", "ProcessingInstanceType"),
        ("endpoint", "ProductionVariantInstanceType"),
    ],
)
def test_every_type_is_one_the_sagemaker_api_accepts_for_its_kind(kind: str, shape: str) -> None:
    """Checked against the SageMaker service model botocore ships (the API's own enums)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    accepted = set(model.shape_for(shape).enum)
    ours = {instance.name for instance in INSTANCE_TYPES if kind in instance.kinds}
    assert ours and ours <= accepted, sorted(ours - accepted)
