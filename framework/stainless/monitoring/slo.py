"""Service level objectives after promotion: multi-window burn-rate alerts.

The method of Google's SRE workbook (chapter "Alerting on SLOs"): with an error-rate objective
of e.g. 0.1 % over 30 days, the *burn rate* of a window is its observed error rate divided by
0.1 %; a burn rate of 1 spends the budget exactly in 30 days, 14.4 spends 2 % of it in an hour.
An alert fires only when both a long and a short window burn faster than the threshold: the long
window proves the problem is big enough, the short one that it is still going on (so the alert
stops soon after the problem does). Default pairs (workbook table 5-8): 1 h and 5 min at 14.4
(page), 6 h and 30 min at 6 (page), 3 days and 6 h at 1 (ticket).

Latency has an objective on the p95 (the endpoint's counters keep a histogram, reported as
percentiles): it is breached when the p95 of both windows of the first pair exceeds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

# The pairs live in core: SageMaker endpoints' CloudWatch alarms use the same ones.
from stainless.core.burn import DEFAULT_WINDOWS, BurnWindow, Severity
from stainless.core.burn import human_duration as _human

__all__ = ["DEFAULT_WINDOWS", "BurnWindow", "Severity"]


@dataclass(frozen=True)
class WindowCount:
    """Traffic of the last ``seconds``: requests the model was responsible for, and failures."""

    seconds: int
    requests: int
    errors: int
    latency_p95_ms: float | None = None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class BurnAlert:
    window: BurnWindow
    long_burn: float
    short_burn: float
    long_error_rate: float
    short_error_rate: float

    def summary(self) -> str:
        return (
            f"error budget burning {self.long_burn:.1f}x over {_human(self.window.long_s)} and "
            f"{self.short_burn:.1f}x over {_human(self.window.short_s)} "
            f"(threshold {self.window.threshold}x, {self.window.severity})"
        )


@dataclass(frozen=True)
class SloResult:
    status: Literal["ok", "breached", "no_traffic"]
    error_objective: float  # allowed error rate, e.g. 0.001
    latency_objective_ms: float | None
    burns: tuple[BurnAlert, ...] = ()
    latency_breached: bool = False
    latency_p95_ms: float | None = None
    counts: tuple[WindowCount, ...] = ()

    @property
    def severity(self) -> Severity | None:
        if any(b.window.severity == "page" for b in self.burns) or self.latency_breached:
            return "page"
        return "ticket" if self.burns else None


def burn_rate(count: WindowCount, error_objective: float) -> float:
    return count.error_rate / error_objective


def windows_needed(windows: Sequence[BurnWindow] = DEFAULT_WINDOWS) -> list[int]:
    return sorted({w.long_s for w in windows} | {w.short_s for w in windows})


def evaluate(
    counts: Mapping[int, WindowCount],
    error_objective: float,
    latency_objective_ms: float | None = None,
    windows: Sequence[BurnWindow] = DEFAULT_WINDOWS,
    min_requests: int = 10,
) -> SloResult:
    """Which burn-rate alerts fire, given the traffic of every window in ``windows_needed``.
    Windows with fewer than ``min_requests`` requests never fire (one failed request out of
    two is not a 50 % error rate anyone should be paged for)."""
    burns = []
    for window in windows:
        long, short = counts[window.long_s], counts[window.short_s]
        if long.requests < min_requests or short.requests < min_requests:
            continue
        long_burn, short_burn = burn_rate(long, error_objective), burn_rate(short, error_objective)
        if long_burn >= window.threshold and short_burn >= window.threshold:
            burns.append(
                BurnAlert(window, long_burn, short_burn, long.error_rate, short.error_rate)
            )
    first = windows[0]
    long, short = counts[first.long_s], counts[first.short_s]
    latency_breached = bool(
        latency_objective_ms is not None
        and short.requests >= min_requests
        and long.latency_p95_ms is not None
        and short.latency_p95_ms is not None
        and long.latency_p95_ms > latency_objective_ms
        and short.latency_p95_ms > latency_objective_ms
    )
    busiest = max(counts.values(), key=lambda c: c.seconds)
    status: Literal["ok", "breached", "no_traffic"] = "no_traffic" if not busiest.requests else "ok"
    if burns or latency_breached:
        status = "breached"
    return SloResult(
        status,
        error_objective,
        latency_objective_ms,
        tuple(burns),
        latency_breached,
        short.latency_p95_ms,
        tuple(counts[s] for s in sorted(counts)),
    )
