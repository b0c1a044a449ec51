"""decide(): the rules of a rollout tick, from inputs a controller would pass."""

from __future__ import annotations

import json

import numpy as np
import pytest
from stainless.rollout.decision import Decision, StepObservations, Tick, VariantCounts, decide
from stainless.rollout.policy import RolloutPolicy

POLICY = RolloutPolicy()
MINUTE = 60.0


def tick(
    step: int,
    cand: int,
    cand_err: int,
    prod: int,
    prod_err: int,
    *,
    cand_p95: float | None = 100.0,
    prod_p95: float | None = 100.0,
    cand_client: int = 0,
) -> Tick:
    return Tick(
        step,
        VariantCounts(cand, cand_err, cand_client, cand_p95),
        VariantCounts(prod, prod_err, 0, prod_p95),
    )


def observations(
    ticks: list[Tick], step: int = 0, step_started_at: float = 0.0
) -> StepObservations:
    return StepObservations(step, step_started_at, 0.0, ticks)


def healthy_ticks(step: int, n: int, cand: int = 100, prod: int = 900) -> list[Tick]:
    # Errors exactly in proportion to traffic: no evidence either way.
    return [tick(step, cand, cand // 100, prod, prod // 100) for _ in range(n)]


def test_waits_for_requests_and_says_what_is_missing() -> None:
    decision = decide(POLICY, observations(healthy_ticks(0, 3)), now=3 * MINUTE)
    assert decision.action == "wait"
    assert decision.target_weight == 5.0
    assert "1,200 more candidate requests" in decision.reason
    assert decision.evidence["candidate_requests_step"] == 300


def test_waits_for_bake_time_even_with_enough_requests() -> None:
    policy = RolloutPolicy(min_bake_seconds=600)
    decision = decide(policy, observations(healthy_ticks(0, 2, cand=1000, prod=19000)), now=120)
    assert decision.action == "wait"
    assert "480 more seconds" in decision.reason


def test_advances_when_the_step_has_its_sample_and_bake_time() -> None:
    decision = decide(POLICY, observations(healthy_ticks(0, 15)), now=15 * MINUTE)
    assert decision.action == "advance"
    assert decision.target_weight == 10.0
    assert "Advance to 10 %" in decision.reason


def test_only_the_current_step_counts_towards_its_minimum() -> None:
    ticks = healthy_ticks(0, 15) + healthy_ticks(1, 3)
    decision = decide(POLICY, observations(ticks, step=1, step_started_at=15 * MINUTE), 18 * MINUTE)
    assert decision.action == "wait"
    assert decision.evidence["candidate_requests_step"] == 300
    assert decision.evidence["candidate_requests_total"] == 1800


def test_promotes_at_the_last_step() -> None:
    ticks = [t for step in range(4) for t in healthy_ticks(step, 15)]
    decision = decide(POLICY, observations(ticks, step=3, step_started_at=45 * MINUTE), 60 * MINUTE)
    assert decision.action == "promote"
    assert decision.target_weight == 100.0


def test_never_promotes_below_the_minimum_sample() -> None:
    # A controller that lost its history: the last step alone has 1,500 requests, not 6,000.
    decision = decide(POLICY, observations(healthy_ticks(3, 15), step=3), 15 * MINUTE)
    assert decision.action == "wait"
    assert "4,500 more candidate requests in total" in decision.reason


def test_rolls_back_a_clear_regression() -> None:
    ticks = [tick(0, 100, 3, 1900, 19) for _ in range(10)]  # 3 % vs 1 %
    decision = decide(POLICY, observations(ticks), 10 * MINUTE)
    assert decision.action == "rollback"
    assert decision.target_weight == 0.0
    assert decision.evidence["log_likelihood_ratio"] >= decision.evidence["log_threshold"]
    assert decision.evidence["error_rate_ratio_step"] == pytest.approx(3.0)
    assert "Roll back" in decision.reason and "errors" in decision.reason


def test_a_regression_rolls_back_even_after_the_deadline_or_when_ready() -> None:
    ticks = [tick(0, 300, 9, 5700, 57) for _ in range(10)]
    decision = decide(POLICY, observations(ticks), now=POLICY.max_duration_seconds + 1)
    assert decision.action == "rollback"
    assert "deadline" not in decision.reason


def test_a_spike_on_both_variants_is_not_a_regression() -> None:
    quiet = healthy_ticks(0, 5)
    spike = [tick(0, 100, 30, 900, 270) for _ in range(5)]  # 30 % errors everywhere
    decision = decide(POLICY, observations(quiet + spike), 10 * MINUTE)
    assert decision.action == "wait"
    assert decision.evidence["log_likelihood_ratio"] < 0


def test_evidence_accumulates_across_steps() -> None:
    # Step 0 alone is suggestive, step 1 alone too; together they are conclusive. Restarting
    # the test at each step would miss it (and spend alpha once per step).
    step0 = [tick(0, 100, 2, 1900, 19) for _ in range(15)]
    step1 = [tick(1, 200, 4, 1800, 18) for _ in range(5)]
    assert decide(POLICY, observations(step0), 15 * MINUTE).action == "advance"
    alone = decide(POLICY, observations(step1, step=1), 20 * MINUTE)
    assert alone.action == "wait"
    both = decide(
        POLICY, observations(step0 + step1, step=1, step_started_at=15 * MINUTE), 20 * MINUTE
    )
    assert both.action == "rollback"


def test_latency_guard() -> None:
    slow = [tick(0, 100, 1, 1900, 19, cand_p95=400.0, prod_p95=200.0) for _ in range(3)]
    assert decide(POLICY, observations(slow), 3 * MINUTE).action == "rollback"
    assert "latency" in decide(POLICY, observations(slow), 3 * MINUTE).reason
    # Below latency_min_requests the guard waits for more data.
    assert decide(POLICY, observations(slow[:2]), 2 * MINUTE).action == "wait"
    # Within the ratio, or with the guard off, it does not fire.
    fine = [tick(0, 100, 1, 1900, 19, cand_p95=290.0, prod_p95=200.0) for _ in range(3)]
    assert decide(POLICY, observations(fine), 3 * MINUTE).action == "wait"
    off = RolloutPolicy(latency_guard_ratio=None)
    assert decide(off, observations(slow), 3 * MINUTE).action == "wait"


def test_latency_uses_a_median_so_one_cold_start_tick_does_not_trip_it() -> None:
    ticks = [tick(0, 100, 1, 1900, 19, cand_p95=2000.0)] + [
        tick(0, 100, 1, 1900, 19) for _ in range(4)
    ]
    decision = decide(POLICY, observations(ticks), 5 * MINUTE)
    assert decision.action == "wait"
    assert decision.evidence["candidate_latency_ms"] == 100.0
    assert decision.evidence["latency_ratio"] == 1.0


def test_a_busy_endpoints_slow_first_minute_at_a_new_weight_does_not_roll_back() -> None:
    # 50 req/s at 50 %: each tick brings 1,500 candidate requests, so one tick alone is past
    # latency_min_requests. The first minute at the new weight is 2x slower (cold caches).
    before = [t for step in range(3) for t in healthy_ticks(step, 2, cand=1500, prod=1500)]
    cold = tick(3, 1500, 15, 1500, 15, cand_p95=200.0)
    warm = [tick(3, 1500, 15, 1500, 15) for _ in range(3)]
    for n in range(4):
        obs = observations([*before, cold, *warm[:n]], step=3, step_started_at=6 * MINUTE)
        assert decide(POLICY, obs, (7 + n) * MINUTE).action != "rollback"
    # A candidate slow in every tick is rolled back once three ticks agree.
    slow = [tick(3, 1500, 15, 1500, 15, cand_p95=200.0) for _ in range(3)]
    obs = observations([*before, *slow], step=3, step_started_at=6 * MINUTE)
    decision = decide(POLICY, obs, 9 * MINUTE)
    assert (decision.action, decision.cause) == ("rollback", "latency_guard")
    assert decision.evidence["latency_ticks"] == 3


def test_unknown_latency_is_ignored() -> None:
    ticks = [tick(0, 100, 1, 1900, 19, cand_p95=None, prod_p95=None) for _ in range(5)]
    decision = decide(POLICY, observations(ticks), 5 * MINUTE)
    assert decision.evidence["candidate_latency_ms"] is None
    assert decision.action == "wait"


@pytest.mark.parametrize(
    ("on_inconclusive", "action", "paused"),
    [("rollback", "rollback", False), ("pause", "wait", True), ("promote", "wait", True)],
)
def test_deadline_applies_on_inconclusive(on_inconclusive: str, action: str, paused: bool) -> None:
    policy = RolloutPolicy(on_inconclusive=on_inconclusive)  # type: ignore[arg-type]
    decision = decide(policy, observations(healthy_ticks(0, 3)), now=policy.max_duration_seconds)
    assert (decision.action, decision.paused) == (action, paused)
    assert "deadline" in decision.reason
    if on_inconclusive == "promote":  # too little data: refuses to promote, holds instead
        assert "minimum" in decision.reason
    # 300 of 1,500 requests: the traffic, not the model, is why it ended.
    assert decision.cause == "not_enough_traffic" and decision.inconclusive
    assert decision.reason.startswith("Not enough traffic (no verdict on the model)")
    assert "300 of the 1,500 candidate requests" in decision.reason
    assert "rollout.max_duration_seconds" in decision.reason


def test_a_deadline_with_the_sample_collected_is_not_called_a_lack_of_traffic() -> None:
    policy = RolloutPolicy(min_bake_seconds=3600)
    ticks = healthy_ticks(0, 16)  # 1,600 requests, but not an hour at the step yet
    obs = observations(ticks, step_started_at=policy.max_duration_seconds - 600)
    decision = decide(policy, obs, policy.max_duration_seconds)
    assert (decision.action, decision.cause) == ("rollback", "deadline")
    assert decision.inconclusive and "Not enough traffic" not in decision.reason


def test_deadline_promote_with_enough_data_promotes() -> None:
    policy = RolloutPolicy(on_inconclusive="promote", min_bake_seconds=3600)
    ticks = [t for step in range(3) for t in healthy_ticks(step, 15)] + healthy_ticks(3, 20)
    obs = observations(ticks, step=3, step_started_at=policy.max_duration_seconds - 600)
    decision = decide(policy, obs, policy.max_duration_seconds)  # last step not baked yet
    assert decision.action == "promote"


def test_client_errors_are_not_exposure() -> None:
    ticks = [tick(0, 100, 1, 900, 9, cand_client=20) for _ in range(2)]
    evidence = decide(POLICY, observations(ticks), 2 * MINUTE).evidence
    assert evidence["candidate_requests_step"] == 160
    assert evidence["candidate_client_errors_step"] == 40
    assert evidence["candidate_error_rate_step"] == pytest.approx(2 / 160)


def test_evidence_is_json_ready_and_complete() -> None:
    decision = decide(POLICY, observations([]), now=0.0)
    assert decision.action == "wait"
    json.dumps(decision.evidence, allow_nan=False)
    for key in (
        "candidate_error_rate_step",
        "production_error_rate_step",
        "log_likelihood_ratio",
        "log_threshold",
        "candidate_requests_step",
        "candidate_latency_ms",
        "production_latency_ms",
        "latency_ratio",
    ):
        assert key in decision.evidence
    full = decide(POLICY, observations([tick(0, 100, 100, 900, 0)]), 60.0)
    assert full.evidence["error_rate_ratio_ci95_high_step"] is None  # unbounded
    json.dumps(full.evidence, allow_nan=False)


@pytest.mark.parametrize(
    "build",
    [
        lambda: VariantCounts(10, 11),
        lambda: VariantCounts(10, 5, 6),
        lambda: VariantCounts(-1, 0),
        lambda: VariantCounts(10, 1, 0, -5.0),
        lambda: StepObservations(0, 0.0, 0.0, [tick(1, 10, 0, 10, 0)]),
        lambda: StepObservations(1, 0.0, 0.0, [tick(1, 10, 0, 10, 0), tick(0, 10, 0, 10, 0)]),
        lambda: StepObservations(0, -1.0, 0.0),
        lambda: decide(POLICY, StepObservations(4, 0.0, 0.0), 0.0),  # 100 % is the promotion
        lambda: StepObservations(0, 0.0, 0.0, [object()]),  # type: ignore[list-item]
    ],
)
def test_bad_inputs_are_rejected(build) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        build()


def simulate_rollout(seed: int, ratio: float) -> tuple[list[Decision], int]:
    """Drive decide() like a controller; return all decisions and candidate requests served."""
    rng = np.random.default_rng(seed)
    step, started = 0, 0.0
    history: list[Tick] = []
    decisions: list[Decision] = []
    served = 0
    for minute in range(1, 400):
        weight = POLICY.observed_steps[step] / 100
        total = rng.poisson(800)
        cand = int(rng.binomial(total, weight))
        prod = total - cand
        history.append(
            tick(
                step,
                cand,
                int(rng.binomial(cand, 0.01 * ratio)),
                prod,
                int(rng.binomial(prod, 0.01)),
                cand_p95=float(rng.normal(100, 5)),
            )
        )
        served += cand
        decision = decide(POLICY, StepObservations(step, started, 0.0, history), minute * MINUTE)
        decisions.append(decision)
        if decision.action in ("promote", "rollback"):
            break
        if decision.action == "advance":
            step, started = step + 1, minute * MINUTE
    return decisions, served


def test_end_to_end_healthy_promotes_and_a_3x_regression_never_does() -> None:
    for seed in range(6):
        decisions, served = simulate_rollout(100 + seed, 1.0)
        assert decisions[-1].action == "promote"
        assert served >= POLICY.min_promotion_requests
        assert [d.action for d in decisions].count("advance") == 3
        decisions, served = simulate_rollout(200 + seed, 3.0)
        assert decisions[-1].action == "rollback"
        assert served < 2000


def test_counts_from_numpy_arrays_are_accepted_as_plain_numbers() -> None:
    counts = VariantCounts(np.int64(100), np.int32(2), np.int64(1), np.float32(120.5))
    assert (counts.requests, counts.errors, counts.client_errors) == (100, 2, 1)
    assert type(counts.requests) is int and type(counts.latency_p95_ms) is float
    assert Tick(np.int64(0), counts, counts).step_index == 0
