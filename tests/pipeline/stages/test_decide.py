"""The decide stage: the promotion criterion applied to the evaluation, recorded on the version
and told to the team; an approved candidate stays a candidate until its rollout ends."""

from __future__ import annotations

import pytest
from stainless.backends.notify.console import ConsoleNotifier
from stainless.pipeline.runner import run_lifecycle
from stainless.pipeline.stages import run_stage
from stainless.project.config import load_config
from stainless.workspace import Workspace


def test_approved_candidate_stays_candidate_until_its_rollout_ends(bake):
    notifier = ConsoleNotifier()
    project = Workspace(load_config(bake()), notifier_override=notifier)
    report = run_lifecycle(project, "r", in_process=True, until="decide")
    assert report.stages["decide"].action == "promote"
    version = project.registry.get(1)
    assert version.status == "candidate" and version.decision["action"] == "promote"
    assert list(report.stages) == ["preprocess", "train", "evaluate", "decide"]
    [decision] = [event for event in notifier.sent if event.kind == "decision"]
    assert (
        decision.title.startswith("Version 1 approved for rollout")
        and decision.severity == "success"
    )


def test_a_candidate_no_better_than_production_is_rejected_at_once(bake):
    notifier = ConsoleNotifier()
    project = Workspace(load_config(bake()), notifier_override=notifier)
    assert run_lifecycle(project, "r1", in_process=True, until="train").ok
    project.registry.promote(1, "test")
    # Same data and code: version 2 scores what version 1 does, which is no improvement.
    assert run_lifecycle(project, "r2", in_process=True, until="evaluate").ok
    decision = run_stage(project, "decide", "r2")
    assert decision.action == "reject" and not decision.approved
    assert decision.candidate == pytest.approx(decision.production)
    version = project.registry.get(2)
    assert version.status == "rejected" and version.decision["action"] == "reject"
    assert notifier.sent[-1].kind == "decision" and "not promoted" in notifier.sent[-1].title
