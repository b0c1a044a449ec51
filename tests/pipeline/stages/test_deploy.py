"""The deploy stage: only an approved candidate goes on the endpoint (beside production), unless
a person forces one that decide rejected."""

from __future__ import annotations

from stainless.pipeline.runner import run_lifecycle
from stainless.pipeline.stages import run_stage
from stainless.pipeline.stages.deploy import Deploy
from stainless.project.config import load_config
from stainless.workspace import Workspace


def test_nothing_is_deployed_without_an_approval(bake):
    project = Workspace(load_config(bake()))
    result = run_stage(project, "deploy", "r1")
    assert (result.deployed, result.reason) == (False, "not promoted by decide")
    assert result.summary("rmse") == "not deployed"
    assert Deploy.completed(project, "r1") == result  # settled: not tried again


def test_a_rejected_candidate_goes_beside_production_only_when_forced(bake):
    project = Workspace(load_config(bake()))
    first = run_lifecycle(project, "r1", in_process=True)
    assert first.ok and first.stages["deploy"].candidate == "v1"
    assert first.stages["deploy"].production is None  # the first version takes all traffic
    second = run_lifecycle(project, "r2", in_process=True, until="decide")
    assert second.stages["decide"].action == "reject"
    assert not run_stage(project, "deploy", "r2").deployed

    forced = Deploy(force_promote=True).run(project, "r2", force=True)
    assert forced.deployed and forced.forced and forced.state == "canary"
    assert (forced.candidate, forced.production) == ("v2", "v1")
    assert forced.summary("rmse") == "v2 beside v1"
    weights = {v.name: v.weight for v in project.endpoint.status().variants}
    assert set(weights) == {"v1", "v2"} and 0 < weights["v2"] < weights["v1"]
