"""stainless.pipeline.versions: what a manual rollback refuses, before it touches the endpoint.
(A rollback that switches the endpoint runs end to end in tests/pipeline/test_faults.py.)"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from stainless.core.errors import StainlessError
from stainless.pipeline.endpoint_lease import endpoint_lease
from stainless.pipeline.versions import rollback_to, served_production
from stainless.workspace import Workspace, open_workspace


@pytest.fixture
def project(bake: Callable[..., Path]) -> Workspace:
    workspace = open_workspace(bake())
    for run in ("run-1", "run-2", "run-3"):
        workspace.registry.register(run, f"file:///nowhere/{run}", {})
    workspace.registry.promote(1, "first")
    workspace.registry.promote(2, "better", replaced_status="archived")
    workspace.registry.set_status(3, "rejected", "worse than production")
    return workspace


def test_only_versions_that_served_production_count(project: Workspace):
    assert served_production(project, 1)  # archived now, but it served
    assert served_production(project, 2)
    assert not served_production(project, 3)


def test_a_rejected_version_is_refused_with_the_fix(project: Workspace):
    with pytest.raises(StainlessError, match="rejected by evaluation") as refused:
        rollback_to(project, 3)
    assert "stainless versions" in (refused.value.fix or "")
    assert project.registry.production().version == 2  # type: ignore[union-attr]


def test_a_version_that_never_served_needs_force(project: Workspace):
    project.registry.register("run-4", "file:///nowhere/run-4", {})
    with pytest.raises(StainlessError, match="never served production") as refused:
        rollback_to(project, 4)
    assert "--force" in (refused.value.fix or "")
    assert project.registry.get(4).status == "candidate"


def test_back_to_production_without_a_canary_is_refused(project: Workspace):
    with pytest.raises(StainlessError, match="version 2 is already production"):
        rollback_to(project, 2)


def test_a_refused_rollback_releases_the_endpoint_lease(project: Workspace):
    with pytest.raises(StainlessError):
        rollback_to(project, 3)
    taken: list[str] = []

    def other_command() -> None:  # another thread: the lease is re-entrant within one
        with endpoint_lease(project.store, project.name, "next command", wait_s=0):
            taken.append("yes")

    thread = threading.Thread(target=other_command)
    thread.start()
    thread.join(timeout=10)
    assert taken == ["yes"]
