"""stainless.pipeline.slo: production's objectives checked from the local endpoint's own
per-second counters (written here as the router writes them; the burn-rate statistics are
tests/monitoring/test_slo.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from stainless.backends.endpoints.local.counters import CounterBuffer, classify
from stainless.pipeline.slo import check_slo
from stainless.workspace import Workspace, open_workspace


@pytest.fixture
def workspace(bake: Callable[..., Path]) -> Workspace:
    return open_workspace(bake())


def serve(workspace: Workspace, variant: str, requests: int, failing: int, invalid: int = 0,
          latency_ms: float = 20.0) -> None:  # fmt: skip
    """Counters of ``requests`` answered 10 s ago, as the endpoint's router records them."""
    buffer = CounterBuffer()
    at = time.time() - 10
    for i in range(requests):
        status = 500 if i < failing else 400 if i < failing + invalid else 200
        buffer.record(variant, classify(status, None), latency_ms, at=at)
    workspace.endpoint.counter_store.add(buffer.drain())  # type: ignore[attr-defined]


def test_a_healthy_production_meets_its_objectives(workspace: Workspace):
    serve(workspace, "v1", 400, failing=0, invalid=40)  # the callers' mistakes do not count
    result = check_slo(workspace, 1)
    assert result is not None and result.status == "ok" and result.severity is None


def test_failing_production_burns_its_budget_fast_enough_to_page(workspace: Workspace):
    serve(workspace, "v1", 400, failing=40)  # 10 % errors against 0.1 % allowed
    result = check_slo(workspace, 1)
    assert result is not None and result.status == "breached" and result.severity == "page"
    assert result.error_objective == 0.001


def test_only_the_production_variant_counts(workspace: Workspace):
    serve(workspace, "v1", 400, failing=0)
    serve(workspace, "v2", 100, failing=100)  # a canary's errors are the rollout's business
    result = check_slo(workspace, 1)
    assert result is not None and result.status == "ok"
    assert check_slo(workspace, 2).status == "breached"  # type: ignore[union-attr]


def test_objectives_come_from_model_yaml_and_can_be_off(workspace: Workspace):
    serve(workspace, "v1", 400, failing=0, latency_ms=900.0)
    model_yaml = workspace.dir / "model.yaml"
    model_yaml.write_text(
        model_yaml.read_text() + "\nmonitoring:\n  slo:\n    latency_p95_ms: 100\n"
    )
    slow = check_slo(open_workspace(workspace.dir), 1)
    assert slow is not None and slow.latency_breached and slow.severity == "page"
    model_yaml.write_text(model_yaml.read_text().replace("latency_p95_ms: 100", "enabled: false"))
    assert check_slo(open_workspace(workspace.dir), 1) is None
