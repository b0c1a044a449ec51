"""What a rollout tick records from the endpoint's counters, and how it reads them back for
``decide``: per-tick deltas of each variant's traffic, and the message fields of a decision."""

from __future__ import annotations

from typing import Any

from stainless.backends.endpoints import VariantCounters
from stainless.pipeline.rollout_state import RolloutState
from stainless.rollout.decision import StepObservations, Tick, VariantCounts


def snapshot(counters: dict[str, VariantCounters]) -> dict[str, dict[str, Any]]:
    return {name: c.to_dict() for name, c in counters.items()}


def delta(
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


def observations(state: RolloutState) -> StepObservations:
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


def fields(state: RolloutState, evidence: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "candidate weight": state.weight / 100,
        f"{state.candidate_variant} error rate": evidence.get("candidate_error_rate_step"),
        f"{state.production_variant} error rate": evidence.get("production_error_rate_step"),
        "log likelihood ratio": evidence.get("log_likelihood_ratio"),
        "rollback threshold": evidence.get("log_threshold"),
    }
    return {k: v for k, v in fields.items() if v is not None}
