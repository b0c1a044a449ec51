"""Multi-window burn rates: a burst pages, an old burst that stopped does not, latency too."""

from __future__ import annotations

from stainless.monitoring.slo import WindowCount, evaluate, windows_needed


def counts(errors: dict[int, tuple[int, int]], p95: float | None = None) -> dict:  # type: ignore[type-arg]
    return {
        s: WindowCount(s, *errors.get(s, (1000, 0)), latency_p95_ms=p95) for s in windows_needed()
    }


def test_a_burst_pages_and_a_stopped_one_does_not() -> None:
    assert windows_needed() == [300, 1800, 3600, 21600, 259200]
    calm = evaluate(counts({}), 0.001)
    assert calm.status == "ok" and calm.severity is None
    burst = evaluate(counts({300: (100, 20), 3600: (1000, 25)}), 0.001)
    assert burst.status == "breached" and burst.severity == "page"
    (alert,) = burst.burns
    assert alert.long_burn == 25.0 and alert.short_burn == 200.0
    assert "25.0x over 1h and 200.0x over 5min" in alert.summary()
    stopped = evaluate(counts({300: (100, 0), 3600: (1000, 25)}), 0.001)
    assert stopped.status == "ok"


def test_slow_burn_tickets_few_requests_never_fire_latency_pages() -> None:
    slow = evaluate(counts({21600: (10000, 20), 259200: (100000, 150)}), 0.001)
    assert slow.severity == "ticket"
    few = evaluate(counts({300: (3, 2), 3600: (5, 3)}), 0.001)
    assert few.status == "ok"
    late = evaluate(counts({}, p95=450.0), 0.001, latency_objective_ms=300)
    assert late.latency_breached and late.severity == "page"
