"""The latency guard: a median over ticks of per-tick ratios, so one slow tick never trips it."""

from __future__ import annotations

import dataclasses

import pytest
from stainless.rollout.latency import MIN_TICKS, latency_trip, summarise_latency
from stainless.rollout.observations import Tick, VariantCounts
from stainless.rollout.policy import RolloutPolicy

POLICY = RolloutPolicy()


def tick(cand_ms: float | None, prod_ms: float | None = 100.0, requests: int = 1500) -> Tick:
    return Tick(
        0,
        VariantCounts(requests, 0, 0, cand_ms, None if cand_ms is None else 3 * cand_ms),
        VariantCounts(requests, 0, 0, prod_ms, None if prod_ms is None else 3 * prod_ms),
    )


def test_one_slow_tick_is_outvoted_by_the_others() -> None:
    # 50 req/s at 50 %: one tick already has 1,500 candidate requests, far above
    # latency_min_requests. A cold first minute, 2x slower, must not roll back.
    summary = summarise_latency([tick(200.0)], "p95")
    assert latency_trip(POLICY, summary) is None  # one tick is never enough
    summary = summarise_latency([tick(200.0), tick(100.0), tick(105.0)], "p95")
    assert summary.ticks == MIN_TICKS == 3
    assert summary.median_ratio == pytest.approx(1.05)
    assert latency_trip(POLICY, summary) is None


def test_a_persistently_slow_candidate_trips_it_after_three_ticks() -> None:
    slow = [tick(200.0), tick(180.0)]
    assert latency_trip(POLICY, summarise_latency(slow, "p95")) is None
    slow.append(tick(190.0, prod_ms=120.0))
    reason = latency_trip(POLICY, summarise_latency(slow, "p95"))
    assert reason and "p95 latency" in reason and "rollout.latency_guard_ratio" in reason
    off = dataclasses.replace(POLICY, latency_guard_ratio=None)
    assert latency_trip(off, summarise_latency(slow, "p95")) is None


def test_ratios_pair_the_same_tick_so_a_shared_slowdown_cancels() -> None:
    # A slow downstream doubles both variants' latency in the middle tick: ratio stays 1.
    summary = summarise_latency([tick(100.0), tick(400.0, 400.0), tick(100.0)], "p95")
    assert summary.median_ratio == pytest.approx(1.0)


def test_minimum_requests_and_unknown_latencies() -> None:
    few = [tick(300.0, requests=50) for _ in range(5)]  # 250 < 300 candidate requests
    assert latency_trip(POLICY, summarise_latency(few, "p95")) is None
    unknown = [tick(None), tick(300.0, prod_ms=None), tick(300.0, prod_ms=0.0)]
    summary = summarise_latency(unknown, "p95")
    assert (summary.ticks, summary.median_ratio) == (0, None)
    assert latency_trip(POLICY, summary) is None


def test_p99_option_compares_the_p99s() -> None:
    # tick() gives p99 = 3 x p95 on both sides; make only the candidate's p99 slow.
    slow_tail = [
        Tick(0, VariantCounts(1500, 0, 0, 100.0, 900.0), VariantCounts(1500, 0, 0, 100.0, 300.0))
        for _ in range(3)
    ]
    assert latency_trip(POLICY, summarise_latency(slow_tail, "p95")) is None
    p99 = dataclasses.replace(POLICY, latency_percentile="p99")
    summary = summarise_latency(slow_tail, "p99")
    assert summary.median_ratio == pytest.approx(3.0)
    reason = latency_trip(p99, summary)
    assert reason and "p99 latency" in reason
