"""SLO check of the production endpoint from its own counters (local endpoint: the router's
per-second tallies in SQLite). The statistics are in stainless.monitoring.slo."""

from __future__ import annotations

import logging
import time
from typing import Any

from stainless.monitoring.slo import SloResult, WindowCount, evaluate, windows_needed
from stainless.workspace import Workspace as Project
from stainless.workspace.variants import variant_name

log = logging.getLogger("stainless.pipeline")


def check_slo(project: Project, version: int, now: float | None = None) -> SloResult | None:
    """The objectives of production ``version``'s variant (a canary's errors are the rollout's
    business, not production's). None when they are off or the endpoint keeps no counters."""
    section: dict[str, Any] = project.config.raw.get("monitoring", {}).get("slo", {})
    if not section.get("enabled", True):
        return None
    now = now if now is not None else time.time()
    try:
        counts = {}
        for seconds in windows_needed():
            per_variant = project.endpoint.counters(since=now - seconds)
            production = variant_name(version)
            per_variant = {k: v for k, v in per_variant.items() if k == production}
            requests = sum(c.requests - c.client_errors for c in per_variant.values())
            errors = sum(c.model_errors for c in per_variant.values())
            p95s = [c.latency_p95_ms for c in per_variant.values() if c.latency_p95_ms]
            counts[seconds] = WindowCount(seconds, requests, errors, max(p95s, default=None))
    except Exception as exc:  # no endpoint (yet), or one that keeps no counters: nothing to check
        log.info("SLO check skipped: the endpoint's counters are unavailable (%s)", exc)
        return None
    return evaluate(
        counts,
        float(section.get("error_rate", 0.001)),
        section.get("latency_p95_ms"),
        min_requests=int(section.get("min_requests", 10)),
    )
