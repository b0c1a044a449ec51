"""Can a rollout with this policy conclude before its deadline at this traffic? Pure arithmetic.

A candidate is only advanced or promoted once every step below 100 % has its
``min_requests_per_step`` candidate requests; at a step of weight ``w`` % and ``r`` requests a
second that takes ``min_requests_per_step / (r * w / 100)`` seconds (and at least
``min_bake_seconds``). With the defaults (1,500 requests at 5, 10, 25 and 50 %) that is 54,000 /
``r`` seconds: 2.5 h at 6 requests a second, 75 h at 0.2, far past the 6 h deadline, so every
candidate of a low-traffic model would end "not enough traffic". Saying so when the settings are
loaded, with the setting to change, beats learning it six hours into every rollout.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from stainless.rollout.policy import RolloutPolicy

# Traffic is never as steady as an average: warn when the estimate uses more than this share of
# the deadline, not only when it exceeds it.
DEADLINE_MARGIN = 0.8


@dataclass(frozen=True)
class TrafficCheck:
    """The estimate behind :func:`check_traffic`, in numbers (seconds, requests)."""

    requests_per_second: float
    seconds_needed: float  # to collect the minimum sample at every step, bake time included
    deadline_seconds: float
    # What would fit within DEADLINE_MARGIN of the deadline at this traffic (None: nothing does).
    largest_min_requests_per_step: int | None
    shortest_deadline_seconds: float
    source: str  # where the traffic figure came from, for the message

    @property
    def fits(self) -> bool:
        return self.seconds_needed <= DEADLINE_MARGIN * self.deadline_seconds

    def warning(self) -> str | None:
        """A message naming the settings to change, or None when the rollout fits."""
        if self.fits:
            return None
        need, deadline = _hours(self.seconds_needed), _hours(self.deadline_seconds)
        verdict = (
            "more than"
            if self.seconds_needed > self.deadline_seconds
            else f"over {DEADLINE_MARGIN:.0%} of"
        )
        shortest = _hours(self.shortest_deadline_seconds)
        fixes = [f"raise rollout.max_duration_seconds to at least {shortest}"]
        if self.largest_min_requests_per_step:
            fixes.append(
                f"lower rollout.min_requests_per_step to at most "
                f"{self.largest_min_requests_per_step:,} (less power to catch a regression: "
                "docs/rollout-statistics.md)"
            )
        fixes.append("start at a higher weight (rollout.steps)")
        return (
            f"At {self.requests_per_second:g} requests/s ({self.source}), collecting the minimum "
            f"sample of a rollout takes about {need}, {verdict} rollout.max_duration_seconds "
            f'({deadline}): rollouts would end inconclusive ("not enough traffic") and '
            f"rollout.on_inconclusive would apply. Fix: " + ", or ".join(fixes) + "."
        )


def seconds_to_minimum_sample(policy: RolloutPolicy, requests_per_second: float) -> float:
    """Seconds for every observed step to get its minimum requests and bake time."""
    if not requests_per_second > 0:
        return math.inf
    return sum(
        max(
            policy.min_bake_seconds,
            policy.min_requests_per_step / (requests_per_second * weight / 100.0),
        )
        for weight in policy.observed_steps
    )


def check_traffic(
    policy: RolloutPolicy, requests_per_second: float, source: str = "rollout.expected_rps"
) -> TrafficCheck:
    """Estimate whether ``policy`` can reach its minimum sample before its deadline.

    ``requests_per_second`` is the endpoint's whole traffic (both variants); ``source`` says
    where it came from (the ``expected_rps`` setting, or the endpoint's recent traffic).
    """
    if not (requests_per_second > 0 and math.isfinite(requests_per_second)):
        raise ValueError(
            f"requests_per_second must be a positive number, got {requests_per_second!r}"
        )
    needed = seconds_to_minimum_sample(policy, requests_per_second)
    budget = DEADLINE_MARGIN * policy.max_duration_seconds
    bake = policy.min_bake_seconds * len(policy.observed_steps)
    # Time at a step is max(bake, m / (r w)); ignoring the max gives the largest m that fits
    # (a lower bound when bake time dominates, which only makes the advice safer).
    per_request = sum(100.0 / (requests_per_second * w) for w in policy.observed_steps)
    largest = math.floor(budget / per_request) if budget > bake and per_request > 0 else 0
    return TrafficCheck(
        requests_per_second=requests_per_second,
        seconds_needed=needed,
        deadline_seconds=policy.max_duration_seconds,
        largest_min_requests_per_step=largest if largest >= 1 else None,
        shortest_deadline_seconds=needed / DEADLINE_MARGIN,
        source=source,
    )


def _hours(seconds: float) -> str:
    if seconds < 2 * 3600:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds / 3600:,.1f} h"
