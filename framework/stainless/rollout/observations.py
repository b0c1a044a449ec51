"""What a rollout has observed so far: per-tick counts of both variants. Pure, no I/O.

A controller turns the endpoint's counters into one :class:`Tick` per look and hands all of them
(since the rollout began) to :func:`stainless.rollout.decision.decide` as
:class:`StepObservations`. The inputs are checked here, once, so the statistics can trust them.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray


def _count(name: str, value: object) -> int:
    # numbers.Integral admits numpy integers (counts often come out of arrays); bool is a typo.
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
    return int(value)


def _latency(name: str, value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a non-negative number or None, got {value!r}")
    number = float(value)
    if not 0 <= number < math.inf:  # NaN fails this too
        raise ValueError(f"{name} must be a non-negative number or None, got {value!r}")
    return number


@dataclass(frozen=True)
class VariantCounts:
    """What one variant did during one tick.

    ``errors`` are the errors the model is to blame for (HTTP 5xx, and 4xx *not* caused by an
    invalid request); ``client_errors`` are the invalid requests, excluded upstream from
    ``errors``. Invalid requests never reach a point where the model could fail, so they are
    also taken out of the exposure the error rate is computed on. Latency percentiles are of
    the tick's answered requests (None when unknown).
    """

    requests: int
    errors: int
    client_errors: int = 0
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None

    def __post_init__(self) -> None:
        for name in ("requests", "errors", "client_errors"):
            object.__setattr__(self, name, _count(name, getattr(self, name)))
        if self.errors + self.client_errors > self.requests:
            raise ValueError(
                f"errors ({self.errors}) + client_errors ({self.client_errors}) exceed "
                f"requests ({self.requests})"
            )
        for name in ("latency_p95_ms", "latency_p99_ms"):
            object.__setattr__(self, name, _latency(name, getattr(self, name)))

    @property
    def exposure(self) -> int:
        """Requests that could have failed because of the model."""
        return self.requests - self.client_errors


@dataclass(frozen=True)
class Tick:
    """Counts of both variants over one tick, and the step (index into the policy) it ran at."""

    step_index: int
    candidate: VariantCounts
    production: VariantCounts
    # This tick's row of count_table(), derived once: decide() tabulates every tick of the
    # rollout on every call, and reading eleven attributes per tick would dominate its cost.
    row: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "step_index", _count("step_index", self.step_index))
        c, p = self.candidate, self.production
        if not isinstance(c, VariantCounts) or not isinstance(p, VariantCounts):
            raise ValueError("a Tick needs VariantCounts for candidate and production")
        row = (
            self.step_index,
            c.requests - c.client_errors,
            c.errors,
            p.requests - p.client_errors,
            p.errors,
            c.client_errors,
            p.client_errors,
        )
        object.__setattr__(self, "row", row)


@dataclass(frozen=True, eq=False)
class StepObservations:
    """Everything :func:`~stainless.rollout.decision.decide` needs to know about the rollout.

    ``ticks`` must hold **every tick since the rollout began**, across all steps, oldest first:
    the error test runs over all of them (one alpha for the whole rollout), while minimum
    requests, bake time, latency and the displayed rates use the ticks of the current step.
    Times are seconds on one clock (e.g. ``time.time()``), the same clock as ``now``.
    """

    step_index: int
    step_started_at: float
    rollout_started_at: float
    ticks: Sequence[Tick] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "step_index", _count("step_index", self.step_index))
        if not isinstance(self.ticks, tuple):
            object.__setattr__(self, "ticks", tuple(self.ticks))
        if self.step_started_at < self.rollout_started_at:
            raise ValueError("step_started_at is before rollout_started_at")
        previous = 0
        for tick in self.ticks:
            if not isinstance(tick, Tick):
                raise ValueError(f"ticks must be Tick objects, got {type(tick).__name__}")
            if not previous <= tick.step_index <= self.step_index:
                raise ValueError(
                    "ticks must be in time order with step_index never above the current step "
                    f"({self.step_index}); found {tick.step_index} after {previous}"
                )
            previous = tick.step_index

    @property
    def current_step_ticks(self) -> tuple[Tick, ...]:
        """The ticks at the current step (the tail: ticks are in step order)."""
        ticks = self.ticks
        start = len(ticks)
        while start > 0 and ticks[start - 1].step_index == self.step_index:
            start -= 1
        return tuple(ticks[start:])


# Columns of count_table().
STEP, C_EXP, C_ERR, P_EXP, P_ERR, C_CLIENT, P_CLIENT = range(7)


def count_table(ticks: Sequence[Tick]) -> NDArray[np.int64]:
    """One row per tick: step, candidate exposure/errors, production exposure/errors, then the
    client errors of each (exposure excludes them)."""
    return np.array([t.row for t in ticks], dtype=np.int64).reshape(len(ticks), 7)
