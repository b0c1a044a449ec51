"""Stage 7: settle a finished rollout — remove the losing variant, update the registry, tell
the team (an alert, with the evidence, when the candidate was rolled back)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from stainless.core.errors import StageError
from stainless.pipeline.cost import format_usd, run_cost
from stainless.pipeline.endpoint_history import record_endpoint
from stainless.pipeline.stages.base import Stage, StageResult
from stainless.pipeline.stages.decide import Decide
from stainless.workspace import Workspace
from stainless.workspace.layout import figure_key

log = logging.getLogger("stainless.pipeline")
STAGE = "finalize"


@dataclass(frozen=True)
class FinalizeResult(StageResult):
    outcome: str  # promoted | rolled_back | inconclusive (not enough traffic) | not_deployed
    reason: str = ""
    version: int | None = None

    def summary(self, metric: str) -> str:
        return f"{self.outcome}: {self.reason}"


class Finalize(Stage[FinalizeResult]):
    name = STAGE
    result_type = FinalizeResult

    def _run(self, workspace: Workspace, run_id: str, previous: None) -> FinalizeResult:
        return settle(workspace, run_id)


def settle(project: Workspace, run_id: str) -> FinalizeResult:
    """Idempotent: every step checks before acting, so a finalize killed half-way is completed
    by the next one. Holds the endpoint's lease; frees the endpoint for the next rollout."""
    from stainless.pipeline.endpoint_lease import endpoint_lease

    with endpoint_lease(project.store, project.name, f"finalize of run {run_id}"):
        return _settle(project, run_id)


def _settle(project: Workspace, run_id: str) -> FinalizeResult:
    from stainless.core import faults
    from stainless.pipeline.endpoint_lease import claimed_by, set_claim
    from stainless.pipeline.rollout_state import load_state, save_state
    from stainless.pipeline.rollout_timeline import timeline_png

    state = load_state(project.store, run_id)
    if state is None:
        decision = Decide.completed(project, run_id)
        return FinalizeResult("not_deployed", decision.reason if decision else "")
    if state.pending and state.pending.get("action") in ("promote", "rollback"):
        from stainless.pipeline.rollout_controller import resume_pending

        state = resume_pending(project, state)  # decided before a crash: carry it out first
    if not state.done:
        raise StageError(
            f"the rollout of run {run_id} is still {state.state}",
            fix="tick it until it ends (`stainless rollout tick`), or abort / "
            "promote it (`stainless rollout abort|promote`)",
        )
    endpoint = project.endpoint
    figures = []
    if state.ticks:
        path = project.work_dir / run_id / "rollout.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(timeline_png(state))
        project.store.put_file(figure_key(run_id, "rollout.png"), path)
        figures.append(path)
    registry = project.registry
    evidence = state.decisions[-1]["evidence"] if state.decisions else {}
    present = {v.name for v in endpoint.status().variants}
    if state.state == "promoted":
        if state.production_variant in present:
            endpoint.remove_variant(state.production_variant)
        faults.point("finalize:variant-removed")
        record_endpoint(project, f"v{state.candidate_version} is production")
        previous = None
        if registry.get(state.candidate_version).status != "production":  # not yet (re-run)
            previous = registry.promote(state.candidate_version, f"rollout: {state.reason}")
        outcome = "promoted"
        spent = run_cost(project.store, run_id)
        cost = format_usd(spent.usd, spent.notional) if spent.stages else None
        project.notify(
            "promoted",
            f"Version {state.candidate_version} is production"
            + (f" (was {previous.version})" if previous else "")
            + (f"; the run cost {cost}" if cost else ""),
            run_id,
            fields={"reason": state.reason, "ticks": len(state.ticks), "run cost": cost},
            severity="success",
            figures=figures,
        )
    else:
        if state.candidate_variant in present:
            endpoint.remove_variant(state.candidate_variant)
        faults.point("finalize:variant-removed")
        record_endpoint(project, f"v{state.candidate_version} removed")
        if registry.get(state.candidate_version).status != "rolled_back":  # not yet (re-run)
            registry.set_status(state.candidate_version, "rolled_back", f"rollout: {state.reason}")
        # A deadline reached for lack of traffic is no verdict on the model: say so, and do not
        # page anyone as for a regression.
        cause = state.decisions[-1].get("cause") if state.decisions else None
        inconclusive = cause == "not_enough_traffic"
        outcome = "inconclusive" if inconclusive else "rolled_back"
        project.notify(
            "rolled_back",
            f"Version {state.candidate_version} "
            + ("withdrawn, inconclusive (not enough traffic)" if inconclusive else "rolled back")
            + f": {state.reason}",
            run_id,
            fields={"production stays": state.production_variant, **evidence},
            severity="warning" if inconclusive else "alert",
            figures=figures,
        )
    registry.record_decision(
        state.candidate_version,
        {
            **(registry.get(state.candidate_version).decision or {}),
            "rollout": {"outcome": outcome, "reason": state.reason, "ticks": len(state.ticks)},
        },
    )
    state.finalized = True
    save_state(project.store, state)
    if claimed_by(project.store, project.name) == run_id:
        set_claim(project.store, project.name, None)
    return FinalizeResult(outcome, state.reason, state.candidate_version)
