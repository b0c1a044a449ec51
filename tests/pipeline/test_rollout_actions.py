"""What a person does to a rollout, each one library call: abort or promote it by hand and settle
it (the crash-recovery of the same calls: test_faults.py)."""

from __future__ import annotations

from stainless.pipeline.rollout_actions import abort_and_finalize, promote_and_finalize


def test_abort_rolls_the_candidate_back_and_settles_it(canary):
    project, _ = canary
    outcome = abort_and_finalize(project, "r2", "not today")
    assert outcome.state.done and outcome.state.finalized
    assert outcome.finalized is not None and outcome.finalized.outcome == "rolled_back"
    assert "not today" in outcome.state.reason
    assert project.registry.production().version == 1


def test_promote_makes_the_candidate_production_and_removes_the_old_variant(canary):
    project, notifier = canary
    outcome = promote_and_finalize(project, "r2", "looks good")
    assert outcome.finalized is not None and outcome.finalized.outcome == "promoted"
    assert outcome.state.state == "promoted" and "looks good" in outcome.state.reason
    assert project.registry.production().version == 2
    assert [v.name for v in project.endpoint.status().variants] == ["v2"]
    assert notifier.sent[-1].kind == "promoted"
