"""Stage 5: put an approved candidate on the endpoint as a second production variant."""

from __future__ import annotations

from typing import Any

from stainless.pipeline import markers
from stainless.pipeline.project import Project

STAGE = "deploy"


def run_deploy(
    project: Project,
    run_id: str,
    force: bool = False,
    skip_canary: bool = False,
    force_promote: bool = False,
) -> dict[str, Any]:
    """``skip_canary`` gives the candidate all traffic at once; ``force_promote`` deploys one
    that decide rejected (a person's override, e.g. a manual Airflow run)."""
    if not force and (done := markers.completed(project.store, run_id, STAGE)):
        return done
    decision = markers.completed(project.store, run_id, "decide") or {}
    if decision.get("action") != "promote" and not force_promote:
        return markers.mark_completed(
            project.store, run_id, STAGE, {"deployed": False, "reason": "not promoted by decide"}
        )
    from stainless.rollout.controller import start

    state = start(project, run_id, skip_canary=skip_canary, override=force_promote)
    return markers.mark_completed(
        project.store,
        run_id,
        STAGE,
        {
            "deployed": True,
            "state": state.state,
            "weight": state.weight,
            "candidate": state.candidate_variant,
            "production": state.production_variant,
            "forced": force_promote and decision.get("action") != "promote",
        },
    )
