"""stainless.pipeline.rollout_observations: a tick's traffic from cumulative endpoint counters,
read back as the observations the pure decision takes."""

from __future__ import annotations

from stainless.backends.endpoints import VariantCounters
from stainless.pipeline.rollout_observations import delta, fields, observations, snapshot
from stainless.pipeline.rollout_state import RolloutState
from stainless.rollout.decision import VariantCounts


def counters(requests: int, model: int, client: int, p95: float | None = None) -> VariantCounters:
    return VariantCounters(requests=requests, ok=requests - model - client, client_errors=client,
                           model_errors=model, latency_p95_ms=p95)  # fmt: skip


def test_a_tick_is_what_grew_since_the_last_snapshot():
    before = snapshot({"v2": counters(100, 2, 5)})
    now = {"v2": counters(160, 5, 6)}
    recent = {"v2": counters(60, 3, 1, p95=42.0)}
    assert delta(now, before, "v2", recent) == {
        "requests": 60, "errors": 3, "client_errors": 1,
        "latency_p95_ms": 42.0, "latency_p99_ms": None,
    }  # fmt: skip
    # A variant first seen this tick counts from zero; no variant (no production) is no traffic.
    assert delta(now, {}, "v2", {})["requests"] == 160
    assert delta(now, before, None, recent) == {"requests": 0, "errors": 0, "client_errors": 0}


def test_reset_or_inconsistent_counters_never_give_impossible_counts():
    before = snapshot({"v2": counters(500, 10, 10)})
    wiped = {"v2": counters(40, 1, 0)}  # the endpoint was recreated: its counters restarted
    assert delta(wiped, before, "v2", {})["requests"] == 0
    # Counters read at slightly different moments: errors can never exceed requests.
    skewed = {"v2": counters(10, 5, 3)}
    tick = delta(skewed, snapshot({"v2": counters(8, 0, 0)}), "v2", {})
    assert (tick["requests"], tick["errors"], tick["client_errors"]) == (2, 2, 0)
    VariantCounts(tick["requests"], tick["errors"], tick["client_errors"])  # accepted by decide


def state_with_ticks() -> RolloutState:
    tick = {"step_index": 1, "at": 1060.0, "weight": 25.0,
            "candidate": {"requests": 50, "errors": 1, "client_errors": 2},
            "production": {"requests": 150, "errors": 0, "client_errors": 0}}  # fmt: skip
    return RolloutState(
        run_id="run-2", endpoint="house-prices", candidate_variant="v2", candidate_version=2,
        production_variant="v1", production_version=1, policy={}, state="canary",
        step_index=1, rollout_started_at=1000.0, step_started_at=1030.0, weight=25.0,
        ticks=[tick],
    )  # fmt: skip


def test_the_stored_ticks_are_read_back_as_observations():
    seen = observations(state_with_ticks())
    assert (seen.step_index, seen.step_started_at, seen.rollout_started_at) == (1, 1030.0, 1000.0)
    [tick] = seen.ticks
    assert tick.candidate == VariantCounts(50, 1, 2) and tick.production.exposure == 150


def test_a_decisions_message_fields_name_the_variants_and_skip_the_unknown():
    shown = fields(
        state_with_ticks(),
        {"candidate_error_rate_step": 0.02, "production_error_rate_step": 0.0,
         "log_likelihood_ratio": 1.5},
    )  # fmt: skip
    assert shown == {
        "candidate weight": 0.25, "v2 error rate": 0.02, "v1 error rate": 0.0,
        "log likelihood ratio": 1.5,
    }  # fmt: skip
