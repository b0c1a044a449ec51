"""The canary rollout state machine: deploy the candidate beside production, then on every tick
shift more traffic, roll back, or wait for more data — persisted so a crash resumes exactly.

States: deploying → canary (step i, weight w) ⇄ paused → promoted | rolled_back. The statistics
live in :mod:`stainless.rollout.decision`; this module only observes the endpoint, asks
``decide``, carries the answer out, and tells the team.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from stainless.backends.endpoints import VariantCounters, VariantSpec
from stainless.core.errors import StageError, StainlessError
from stainless.pipeline.endpoint_history import record_endpoint
from stainless.pipeline.rollout_state import RolloutState, load_state, save_state
from stainless.pipeline.stages.decide import Decide
from stainless.rollout.decision import StepObservations, Tick, VariantCounts, decide
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
    """Put an approved candidate on the endpoint (the ``deploy`` stage). Idempotent.
    ``override`` deploys one that decide rejected (a person said so)."""
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
    now = time.time() if now is None else now
    policy = rollout_policy(project.config)
    production = project.registry.production()
    endpoint = project.endpoint
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
    save_state(project.store, state)
    candidate = variant_spec(project, run_id, version.version, 0.0)
    if production is None:
        # Nothing to compare with: the first version takes all the traffic at once.
        endpoint.up(VariantSpec(**{**candidate.__dict__, "weight": 1.0}))
        return _finish(project, state, "promoted", 100.0, "first version: nothing to compare with")
    current = variant_spec(project, production.run_id, production.version, 1.0)
    status = endpoint.status()
    if not status.running:
        endpoint.up(current)
    elif current.name not in {v.name for v in status.variants}:
        endpoint.add_variant(current)
    try:
        endpoint.add_variant(candidate)
    except StainlessError as exc:
        # A candidate that never becomes healthy gets no traffic: that is a rollback too.
        log.error("candidate %s did not start: %s", candidate.name, exc)
        _remove_quietly(project, candidate.name)
        return _finish(
            project,
            state,
            "rolled_back",
            0.0,
            f"its model server never became healthy ({exc.message})",
        )
    if skip_canary or policy.steps[0] >= 100:
        reason = "canary skipped on request" if skip_canary else "the first step is 100%"
        _set_weight(project, state, 100.0)
        return _finish(project, state, "promoted", 100.0, reason)
    first = policy.steps[0]
    _set_weight(project, state, first)
    state.state, state.weight = "canary", first
    state.baseline = _snapshot(endpoint.counters(since=state.rollout_started_at))
    save_state(project.store, state)
    record_endpoint(project, f"canary of v{state.candidate_version} deployed")
    project.notify(
        "deployed",
        f"Version {state.candidate_version} deployed as a canary at {first:g}%",
        run_id,
        fields={
            "candidate": state.candidate_variant,
            "production": state.production_variant,
            "candidate weight": first / 100,
        },
    )
    return state


def tick(project: Workspace, run_id: str, now: float | None = None) -> RolloutState:
    """One look at the traffic: advance, roll back, or wait. Safe to call at any time."""
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
    state.ticks.append(
        {
            "at": now,
            "step_index": state.step_index,
            "weight": state.weight,
            "candidate": _delta(since_start, state.baseline, state.candidate_variant, recent),
            "production": _delta(since_start, state.baseline, state.production_variant, recent),
        }
    )
    state.baseline = _snapshot(since_start)
    decision = decide(policy, _observations(state), now)
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
            save_state(project.store, state)
            project.notify(
                "rollout_step",
                f"Rollout of version {state.candidate_version} paused: {decision.reason}",
                run_id,
                fields=_fields(state, decision.evidence),
                severity="alert",
            )
            return state
        save_state(project.store, state)
        return state
    state.decisions.append(record)
    next_state = {"advance": "canary", "promote": "promoted", "rollback": "rolled_back"}[action]
    target = {"promote": 100.0, "rollback": 0.0}.get(action, decision.target_weight)
    state.pending = {
        "action": action,
        "weight": target,
        "state": next_state,
        "reason": decision.reason,
        "at": now,
        "cause": decision.cause,
    }
    save_state(project.store, state)
    return resume_pending(project, state)


def resume_pending(project: Workspace, state: RolloutState) -> RolloutState:
    """Carry out a decided action whose effects may not have happened (crash in between)."""
    pending = state.pending
    if not pending:
        return state
    _set_weight(project, state, pending["weight"])
    if pending["state"] == "canary":
        state.step_index += 1
        state.step_started_at = pending["at"]
        state.weight = pending["weight"]
        state.pending = None
        save_state(project.store, state)
        project.notify(
            "rollout_step",
            f"Version {state.candidate_version}: traffic moved to {state.weight:g}%",
            state.run_id,
            fields=_fields(state, state.decisions[-1]["evidence"] if state.decisions else {}),
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
    state = _require(project, run_id)
    if state.state == "canary":
        state.state, state.paused_by, state.reason = "paused", who, f"paused by {who}"
        save_state(project.store, state)
        project.notify(
            "rollout_step",
            f"Rollout of version {state.candidate_version} paused by {who} at {state.weight:g}%",
            run_id,
            severity="warning",
        )
    return state


def resume(project: Workspace, run_id: str) -> RolloutState:
    state = _require(project, run_id)
    if state.state == "paused":
        state.state, state.paused_by, state.reason = "canary", None, ""
        save_state(project.store, state)
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
    state = resume_pending(project, _require(project, run_id))
    if state.done:
        raise StainlessError(f"the rollout of run {run_id} already ended ({state.state})")
    state.decisions.append(
        {"at": time.time(), "action": action, "reason": reason, "manual": True, "evidence": {}}
    )
    state.pending = {
        "action": action,
        "weight": weight,
        "state": next_state,
        "reason": reason,
        "at": time.time(),
    }
    save_state(project.store, state)
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
    save_state(project.store, state)
    record_endpoint(project, f"v{state.candidate_version} {final.replace('_', ' ')}")
    evidence = state.decisions[-1]["evidence"] if state.decisions else {}
    if final == "promoted":
        project.notify(
            "rollout_step",
            f"Version {state.candidate_version} takes all traffic: {reason}",
            state.run_id,
            fields=_fields(state, evidence),
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
            fields=_fields(state, evidence),
            severity="warning" if inconclusive else "alert",
        )
    return state


def _remove_quietly(project: Workspace, variant: str) -> None:
    try:
        project.endpoint.remove_variant(variant)
    except StainlessError as exc:
        log.warning("could not remove variant %s: %s", variant, exc)


def _set_weight(project: Workspace, state: RolloutState, weight: float) -> None:
    weights = {state.candidate_variant: weight / 100}
    if state.production_variant:
        weights[state.production_variant] = 1 - weight / 100
    project.endpoint.set_weights(weights)


def _require(project: Workspace, run_id: str) -> RolloutState:
    state = load_state(project.store, run_id)
    if state is None:
        raise StageError(
            f"run {run_id} has no rollout",
            fix=f"deploy it first: `stainless rollout start --run-id {run_id}`",
        )
    return state


def _snapshot(counters: dict[str, VariantCounters]) -> dict[str, dict[str, Any]]:
    return {name: c.to_dict() for name, c in counters.items()}


def _delta(
    since_start: dict[str, VariantCounters],
    baseline: dict[str, dict[str, Any]],
    variant: str | None,
    recent: dict[str, VariantCounters],
) -> dict[str, Any]:
    """This tick's traffic of a variant: cumulative counts minus those at the last tick."""
    if variant is None:
        return {"requests": 0, "errors": 0, "client_errors": 0}
    now = since_start.get(variant, VariantCounters())
    before = baseline.get(variant, {})

    def grew(key: str) -> int:
        # A counter store that was reset (e.g. a wiped endpoint) must not yield negatives.
        return max(0, int(getattr(now, key)) - int(before.get(key, 0)))

    requests, errors, client = grew("requests"), grew("model_errors"), grew("client_errors")
    errors = min(errors, requests)
    client = min(client, requests - errors)
    counters = recent.get(variant)
    return {
        "requests": requests,
        "errors": errors,
        "client_errors": client,
        "latency_p95_ms": counters.latency_p95_ms if counters is not None else None,
        "latency_p99_ms": counters.latency_p99_ms if counters is not None else None,
    }


def _observations(state: RolloutState) -> StepObservations:
    ticks = [
        Tick(
            step_index=t["step_index"],
            candidate=VariantCounts(**t["candidate"]),
            production=VariantCounts(**t["production"]),
        )
        for t in state.ticks
    ]
    return StepObservations(
        step_index=state.step_index,
        step_started_at=state.step_started_at,
        rollout_started_at=state.rollout_started_at,
        ticks=ticks,
    )


def _fields(state: RolloutState, evidence: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "candidate weight": state.weight / 100,
        f"{state.candidate_variant} error rate": evidence.get("candidate_error_rate_step"),
        f"{state.production_variant} error rate": evidence.get("production_error_rate_step"),
        "log likelihood ratio": evidence.get("log_likelihood_ratio"),
        "rollback threshold": evidence.get("log_threshold"),
    }
    return {k: v for k, v in fields.items() if v is not None}


def serve_only(project: Workspace, version: int) -> None:
    """Make the endpoint serve one version with all traffic (manual rollback). Starts the
    endpoint when it is down; any other variant is drained, then removed."""
    record = project.registry.get(version)
    spec = variant_spec(project, record.run_id, version, 1.0)
    endpoint = project.endpoint
    status = endpoint.status()
    if not status.running:
        endpoint.up(spec)
        status = endpoint.status()
    if spec.name not in {v.name for v in status.variants}:
        endpoint.add_variant(spec)
    others = [v.name for v in status.variants if v.name != spec.name]
    endpoint.set_weights({spec.name: 1.0, **{name: 0.0 for name in others}})
    for name in others:
        endpoint.remove_variant(name)
    record_endpoint(project, f"v{version} serves alone")
