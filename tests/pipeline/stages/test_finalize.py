"""The finalize stage: a finished rollout settled (losing variant removed, registry updated, the
team told); an unfinished one refused with what to do; nothing to settle when nothing deployed."""

from __future__ import annotations

import pytest
from stainless.core.errors import StageError
from stainless.pipeline.rollout_controller import abort
from stainless.pipeline.rollout_state import load_state
from stainless.pipeline.stages import Finalize, run_stage
from stainless.project.config import load_config
from stainless.workspace import Workspace


def test_nothing_deployed_is_nothing_to_settle(bake):
    project = Workspace(load_config(bake()))
    result = run_stage(project, "finalize", "r1")
    assert (result.outcome, result.version) == ("not_deployed", None)


def test_a_canary_is_refused_until_it_ends_then_the_loser_is_removed(canary):
    project, notifier = canary
    with pytest.raises(StageError) as caught:
        run_stage(project, "finalize", "r2")
    text = caught.value.render()
    assert "the rollout of run r2 is still canary" in text and "stainless rollout tick" in text
    assert Finalize.completed(project, "r2") is None

    abort(project, "r2", "a person said so")
    result = run_stage(project, "finalize", "r2")
    assert (result.outcome, result.version) == ("rolled_back", 2)
    assert result.reason == load_state(project.store, "r2").reason
    assert [v.name for v in project.endpoint.status().variants] == ["v1"]
    statuses = {v.version: v.status for v in project.registry.list()}
    assert statuses == {1: "production", 2: "rolled_back"}
    assert project.registry.get(2).decision["rollout"]["outcome"] == "rolled_back"
    alert = notifier.sent[-1]
    assert (alert.kind, alert.severity) == ("rolled_back", "alert")
    assert alert.title.startswith("Version 2 rolled back")
    assert load_state(project.store, "r2").finalized
