"""The canary rollout state machine: deploy the candidate beside production, then on every tick
shift more traffic, roll back, or wait for more data — persisted so a crash resumes exactly.

States: deploying → canary (step i, weight w) ⇄ paused → promoted | rolled_back. The statistics
live in :mod:`stainless.rollout.decision`; this module only observes the endpoint, asks
``decide``, carries the answer out, and tells the team.
"""

from __future__ import annotations

import logging
import time
from contextlib import AbstractContextManager
from typing import Any

from stainless.backends.endpoints import VariantSpec
from stainless.core import faults
from stainless.core.errors import StageError, StainlessError
from stainless.pipeline.endpoint_history import record_endpoint
from stainless.pipeline.endpoint_lease import (
    Lease,
    endpoint_lease,
    refuse_if_busy,
    renew,
    set_claim,
)
from stainless.pipeline.rollout_observations import delta, fields, observations, snapshot
from stainless.pipeline.rollout_state import RolloutState, load_state, save_state
from stainless.pipeline.stages.decide import Decide
from stainless.rollout.decision import decide
from stainless.rollout.policy import RolloutPolicy
from stainless.rollout.settings import rollout_policy
from stainless.workspace import Workspace
from stainless.workspace.variants import variant_name, variant_spec

log = logging.getLogger("stainless.rollout")


def start(
    project: Workspace,
    run_id: str,
    skip_canary: bool = False,
    now: float | None = None,
    override: bool = False,
) -> RolloutState:
    """Put an approved candidate on the endpoint (the ``deploy`` stage). Idempotent and
    re-entrant: a deploy killed at any step is completed by the next call (or by a tick).
    ``override`` deploys one that decide rejected (a person said so)."""
    with _lease(project, f"deploy of run {run_id}"):
        existing = load_state(project.store, run_id)
        if existing is not None:
            return resume_pending(project, existing)
        decision = Decide.completed(project, run_id)
        if decision is None or (not decision.approved and not override):
            raise StageError(
                f"run {run_id} was not approved for deployment",
                fix="only a version that decide promoted is rolled out",
            )
        version = project.registry.by_run(run_id)
        if version is None:
            raise StageError(f"run {run_id} has no registered version")
        refuse_if_busy(project.store, project.name, run_id)
        now = time.time() if now is None else now
        policy = rollout_policy(project.config)
        production = project.registry.production()
        state = RolloutState(
            run_id=run_id,
            endpoint=project.name,
            candidate_variant=variant_name(version.version),
            candidate_version=version.version,
            production_variant=variant_name(production.version) if production else None,
            production_version=production.version if production else None,
            policy=policy.as_dict(),
            rollout_started_at=now,
            step_started_at=now,
        )
        # The intent first: whatever happens next, the deploy can be completed or undone.
        state.pending = {"action": "deploy", "skip_canary": skip_canary, "at": now}
        set_claim(project.store, project.name, run_id)
        _save(project, state)
        faults.point("deploy:intent-saved")
        return resume_pending(project, state)


def _deploy(project: Workspace, state: RolloutState) -> RolloutState:
    """The deploy intent's steps; each one looks at the endpoint first, so repeating a step
    that already happened (crash after it, before the next save) does nothing."""
    assert state.pending is not None
    skip_canary = bool(state.pending.get("skip_canary"))
    policy = RolloutPolicy.from_mapping(state.policy)
    endpoint = project.endpoint
    candidate = variant_spec(project, state.run_id, state.candidate_version, 0.0)
    if state.production_version is None:
        # Nothing to compare with: the first version takes all the traffic at once.
        endpoint.up(VariantSpec(**{**candidate.__dict__, "weight": 1.0}))
        faults.point("deploy:candidate-added")
        state.pending = None
        return _finish(project, state, "promoted", 100.0, "first version: nothing to compare with")
    production = project.registry.get(state.production_version)
    current = variant_spec(project, production.run_id, production.version, 1.0)
    status = endpoint.status()
    if not status.running:
        endpoint.up(current)
    elif current.name not in {v.name for v in status.variants}:
        endpoint.add_variant(current)
    faults.point("deploy:production-up")
    try:
        endpoint.add_variant(candidate)  # idempotent: an existing healthy variant is kept
    except StainlessError as exc:
        # A candidate that never becomes healthy gets no traffic: that is a rollback too.
        log.error("candidate %s did not start: %s", candidate.name, exc)
        _remove_quietly(project, candidate.name)
        state.pending = None
        return _finish(
            project,
            state,
            "rolled_back",
            0.0,
            f"its model server never became healthy ({exc.message})",
        )
    faults.point("deploy:candidate-added")
    if skip_canary or policy.steps[0] >= 100:
        reason = "canary skipped on request" if skip_canary else "the first step is 100%"
        state.pending = _intent("promote", 100.0, "promoted", reason, time.time())
    else:
        first = policy.steps[0]
        state.pending = {
            **_intent("advance", first, "canary", "deployed", time.time()),
            "step_index": 0,
            "deployed": True,
        }
    _save(project, state)
    faults.point("deploy:weights-intent-saved")
    return resume_pending(project, state)


def _intent(action: str, weight: float, next_state: str, reason: str, at: float) -> dict[str, Any]:
    return {"action": action, "weight": weight, "state": next_state, "reason": reason, "at": at}


def tick(project: Workspace, run_id: str, now: float | None = None) -> RolloutState:
    """One look at the traffic: advance, roll back, or wait. Processes take turns (lease)."""
    with _lease(project, f"tick of the rollout of run {run_id}"):
        return _tick(project, run_id, now)


def _tick(project: Workspace, run_id: str, now: float | None) -> RolloutState:
    state = _require(project, run_id)
    state = resume_pending(project, state)
    if state.done:
        return state
    now = time.time() if now is None else now
    policy = RolloutPolicy.from_mapping(state.policy)
    endpoint = project.endpoint
    record_endpoint(project, "observed during the rollout")  # catches autoscaling changes
    since_start = endpoint.counters(since=state.rollout_started_at)
    last = state.ticks[-1]["at"] if state.ticks else state.step_started_at
    recent = endpoint.counters(since=last)
    faults.point("tick:counters-read")
    state.ticks.append(
        {
            "at": now,
            "step_index": state.step_index,
            "weight": state.weight,
            "candidate": delta(since_start, state.baseline, state.candidate_variant, recent),
            "production": delta(since_start, state.baseline, state.production_variant, recent),
        }
    )
    state.baseline = snapshot(since_start)
    decision = decide(policy, observations(state), now)
    record = {
        "at": now,
        "action": decision.action,
        "reason": decision.reason,
        "cause": decision.cause,
        "target_weight": decision.target_weight,
        "evidence": decision.evidence,
        "step_index": state.step_index,
    }
    action = decision.action
    if state.paused_by == "user" and action in ("advance", "promote"):
        action, record["held"] = "wait", True  # a person paused it: only a rollback goes through
    if action == "wait":
        if getattr(decision, "paused", False) and state.state != "paused":
            state.state, state.paused_by = "paused", "deadline"
            state.reason = decision.reason
            _save(project, state)
            project.notify(
                "rollout_step",
                f"Rollout of version {state.candidate_version} paused: {decision.reason}",
                run_id,
                fields=fields(state, decision.evidence),
                severity="alert",
            )
            return state
        _save(project, state)
        faults.point("tick:observed")
        return state
    state.decisions.append(record)
    next_state = {"advance": "canary", "promote": "promoted", "rollback": "rolled_back"}[action]
    target = {"promote": 100.0, "rollback": 0.0}.get(action, decision.target_weight)
    state.pending = _intent(action, target, next_state, decision.reason, now)
    state.pending["cause"] = decision.cause
    if action == "advance":
        state.pending["step_index"] = state.step_index + 1
    _save(project, state)
    faults.point(f"tick:{action}-intent-saved")
    return resume_pending(project, state)


def resume_pending(project: Workspace, state: RolloutState) -> RolloutState:
    """Carry out a decided action whose effects may not have happened (crash in between)."""
    pending = state.pending
    if not pending:
        return state
    if pending["action"] == "deploy":
        return _deploy(project, state)
    _set_weight(project, state, pending["weight"])
    faults.point(f"{pending['action']}:weights-set")
    if pending["state"] == "canary":
        state.step_index = int(pending.get("step_index", state.step_index + 1))  # never twice
        state.step_started_at = pending["at"]
        state.weight = pending["weight"]
        state.pending = None
        if pending.get("deployed"):
            # A pause that arrived during the deploy holds the canary at its first step.
            state.state = "paused" if state.paused_by == "user" else "canary"
            state.baseline = snapshot(project.endpoint.counters(since=state.rollout_started_at))
        _save(project, state)
        if pending.get("deployed"):
            record_endpoint(project, f"canary of v{state.candidate_version} deployed")
            project.notify(
                "deployed",
                f"Version {state.candidate_version} deployed as a canary at {state.weight:g}%",
                state.run_id,
                fields={
                    "candidate": state.candidate_variant,
                    "production": state.production_variant,
                    "candidate weight": state.weight / 100,
                },
            )
            return state
        project.notify(
            "rollout_step",
            f"Version {state.candidate_version}: traffic moved to {state.weight:g}%",
            state.run_id,
            fields=fields(state, state.decisions[-1]["evidence"] if state.decisions else {}),
        )
        return state
    state.pending = None
    return _finish(
        project,
        state,
        pending["state"],
        pending["weight"],
        pending["reason"],
        inconclusive=pending.get("cause") == "not_enough_traffic",
    )


def pause(project: Workspace, run_id: str, who: str = "user") -> RolloutState:
    with _lease(project, f"pause of the rollout of run {run_id}"):
        state = _require(project, run_id)
        if state.state in ("canary", "deploying"):
            state.paused_by, state.reason = who, f"paused by {who}"
            if state.state == "canary":
                state.state = "paused"
            _save(project, state)
            project.notify(
                "rollout_step",
                f"Rollout of version {state.candidate_version} paused by {who} "
                f"at {state.weight:g}%",
                run_id,
                severity="warning",
            )
        return state


def resume(project: Workspace, run_id: str) -> RolloutState:
    with _lease(project, f"resume of the rollout of run {run_id}"):
        state = _require(project, run_id)
        if state.state == "paused" or state.paused_by:
            if state.state == "paused":
                state.state = "canary"
            state.paused_by, state.reason = None, ""
            _save(project, state)
            project.notify(
                "rollout_step", f"Rollout of version {state.candidate_version} resumed", run_id
            )
        return state


def abort(project: Workspace, run_id: str, reason: str = "aborted by a person") -> RolloutState:
    return _manual(project, run_id, "rollback", "rolled_back", 0.0, reason)


def force_promote(
    project: Workspace, run_id: str, reason: str = "promoted manually"
) -> RolloutState:
    return _manual(project, run_id, "promote", "promoted", 100.0, reason)


def _manual(
    project: Workspace, run_id: str, action: str, next_state: str, weight: float, reason: str
) -> RolloutState:
    with _lease(project, f"{action} of the rollout of run {run_id} by a person"):
        state = _require(project, run_id)
        if state.pending and state.pending["action"] == "deploy" and action == "rollback":
            # Never finish deploying what is being aborted (on SageMaker that takes minutes):
            # the rollback below only touches the variants that exist.
            state.pending = None
        state = resume_pending(project, state)
        if state.done and state.state == next_state:
            return state  # the same command, re-run after a crash: already carried out
        if state.done:
            raise StainlessError(f"the rollout of run {run_id} already ended ({state.state})")
        state.decisions.append(
            {"at": time.time(), "action": action, "reason": reason, "manual": True, "evidence": {}}
        )
        state.pending = _intent(action, weight, next_state, reason, time.time())
        _save(project, state)
        faults.point(f"manual:{action}-intent-saved")
        return resume_pending(project, state)


def _finish(
    project: Workspace,
    state: RolloutState,
    final: str,
    weight: float,
    reason: str,
    inconclusive: bool = False,
) -> RolloutState:
    state.state, state.weight, state.reason = final, weight, reason
    _save(project, state)
    faults.point(f"finish:{final}-saved")
    record_endpoint(project, f"v{state.candidate_version} {final.replace('_', ' ')}")
    evidence = state.decisions[-1]["evidence"] if state.decisions else {}
    if final == "promoted":
        project.notify(
            "rollout_step",
            f"Version {state.candidate_version} takes all traffic: {reason}",
            state.run_id,
            fields=fields(state, evidence),
            severity="success",
        )
    else:
        # Not enough traffic is no verdict on the model: a warning, not a rollback alert.
        ended = (
            "withdrawn, inconclusive (not enough traffic)" if inconclusive else "lost its traffic"
        )
        project.notify(
            "rollout_step",
            f"Version {state.candidate_version} {ended}: {reason}",
            state.run_id,
            fields=fields(state, evidence),
            severity="warning" if inconclusive else "alert",
        )
    return state


def _lease(project: Workspace, purpose: str) -> AbstractContextManager[Lease]:
    return endpoint_lease(project.store, project.name, purpose)


def _save(project: Workspace, state: RolloutState) -> None:
    save_state(project.store, state)
    renew(project.store, project.name)


def _remove_quietly(project: Workspace, variant: str) -> None:
    try:
        project.endpoint.remove_variant(variant)
    except StainlessError as exc:
        log.warning("could not remove variant %s: %s", variant, exc)


def _set_weight(project: Workspace, state: RolloutState, weight: float) -> None:
    """Idempotent; tolerates a variant that is not there (a deploy aborted before adding the
    candidate): the variants present get their share, so abort and promote always work."""
    weights = {state.candidate_variant: weight / 100}
    if state.production_variant:
        weights[state.production_variant] = 1 - weight / 100
    status = project.endpoint.status()
    present = {v.name for v in status.variants}
    if not status.running or not present:
        return
    weights = {name: share for name, share in weights.items() if name in present}
    if weights and sum(weights.values()) > 0:
        project.endpoint.set_weights(weights)


def _require(project: Workspace, run_id: str) -> RolloutState:
    state = load_state(project.store, run_id)
    if state is None:
        raise StageError(
            f"run {run_id} has no rollout",
            fix=f"deploy it first: `stainless rollout start --run-id {run_id}`",
        )
    return state
