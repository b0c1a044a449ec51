"""The latency guard: is the candidate persistently slower than production at this step? Pure.

Each tick gives one number per variant, its latency percentile (p95 by default, p99 with
``latency_percentile: p99``) over the requests it answered in that tick. Percentiles of
different ticks cannot be merged exactly, and a single tick says little: the first minute at a
new weight is often slow (cold caches, autoscaling, JIT), a GC pause or a noisy neighbour slows
one minute. So the guard looks at the **ratio candidate / production within each tick** (both
variants saw the same minute: a slow downstream slows both and cancels), and at the **median of
those ratios over the ticks of the current step**, each tick counting once however busy it was.
It fires only when that median is above ``latency_guard_ratio`` with at least
:data:`MIN_TICKS` ticks and ``latency_min_requests`` candidate requests behind it: one slow
tick out of three or more can never trip it; a candidate slower in most ticks does.

This is a threshold on a robust statistic, not a test with an error bound like the error test:
a p95 1.5x production's over hundreds of requests and several minutes is not noise (see the
cold-start scenario of ``benchmarks/canary.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from stainless.rollout.observations import Tick
from stainless.rollout.policy import RolloutPolicy

# Ticks with a known latency on both variants before the guard may fire: with three, one slow
# tick (the first at a new weight) is outvoted by the other two.
MIN_TICKS = 3


@dataclass(frozen=True)
class LatencySummary:
    """The latency of the current step, as the guard sees it."""

    percentile: str
    ticks: int  # ticks with a known latency on both variants
    candidate_requests: int  # candidate requests in those ticks
    median_ratio: float | None  # median over those ticks of candidate / production
    candidate_ms: float | None  # median of the candidate's per-tick percentile (for people)
    production_ms: float | None


def summarise_latency(ticks: Sequence[Tick], percentile: str) -> LatencySummary:
    """The guard's view of ``ticks`` (those of the current step)."""
    attribute = "latency_p99_ms" if percentile == "p99" else "latency_p95_ms"
    cand, prod, requests = [], [], 0
    for tick in ticks:
        c, p = getattr(tick.candidate, attribute), getattr(tick.production, attribute)
        if c is None or p is None or p <= 0 or not tick.candidate.requests:
            continue  # nothing answered, or nothing to compare with in this tick
        cand.append(c)
        prod.append(p)
        requests += tick.candidate.requests
    if not cand:
        return LatencySummary(percentile, 0, 0, None, None, None)
    # statistics.median, not numpy's: a few dozen numbers, every tick; numpy's overhead per call
    # would cost more than the sort.
    return LatencySummary(
        percentile=percentile,
        ticks=len(cand),
        candidate_requests=requests,
        median_ratio=median(c / p for c, p in zip(cand, prod, strict=True)),
        candidate_ms=median(cand),
        production_ms=median(prod),
    )


def latency_trip(policy: RolloutPolicy, summary: LatencySummary) -> str | None:
    """The rollback reason when the guard fires, else None."""
    limit = policy.latency_guard_ratio
    if (
        limit is None
        or summary.median_ratio is None
        or summary.ticks < MIN_TICKS
        or summary.candidate_requests < policy.latency_min_requests
        or summary.median_ratio <= limit
    ):
        return None
    return (
        f"Roll back: the candidate's {summary.percentile} latency at this step is a median "
        f"{summary.median_ratio:.2f} x production's over {summary.ticks} ticks "
        f"({summary.candidate_requests:,} candidate requests; about "
        f"{summary.candidate_ms:,.0f} ms vs {summary.production_ms:,.0f} ms), above the "
        f"{limit:g} x limit (rollout.latency_guard_ratio)."
    )
