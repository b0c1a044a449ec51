"""The multi-window burn-rate alert pairs of Google's SRE workbook (chapter "Alerting on SLOs",
table 5-8), shared by the local check (stainless.monitoring.slo, from the endpoint's counters)
and the CloudWatch alarms of SageMaker endpoints (stainless.backends.endpoints.sagemaker_alarms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["page", "ticket"]


@dataclass(frozen=True)
class BurnWindow:
    long_s: int
    short_s: int
    threshold: float
    severity: Severity


DEFAULT_WINDOWS = (
    BurnWindow(3600, 300, 14.4, "page"),
    BurnWindow(21600, 1800, 6.0, "page"),
    BurnWindow(259200, 21600, 1.0, "ticket"),
)


def human_duration(seconds: int) -> str:
    """3600 -> 1h, 300 -> 5min, 259200 -> 3d (alert texts and alarm names)."""
    if seconds % 86400 == 0:
        return f"{seconds // 86400}d"
    if seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    return f"{seconds // 60}min"
