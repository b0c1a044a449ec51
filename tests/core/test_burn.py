"""The burn-rate pairs shared by the local SLO check and the CloudWatch alarms."""

from __future__ import annotations

from stainless.core.burn import DEFAULT_WINDOWS, human_duration


def test_the_workbook_pairs() -> None:
    # SRE workbook table 5-8: (long, short, burn rate, severity); each short window is 1/12 of
    # its long one, and a burn rate of 1 spends a 30-day budget in exactly 30 days.
    assert [(w.long_s, w.short_s, w.threshold, w.severity) for w in DEFAULT_WINDOWS] == [
        (3600, 300, 14.4, "page"),
        (21600, 1800, 6.0, "page"),
        (259200, 21600, 1.0, "ticket"),
    ]
    assert all(w.long_s == 12 * w.short_s for w in DEFAULT_WINDOWS)


def test_human_durations() -> None:
    assert [human_duration(s) for s in (300, 1800, 3600, 21600, 86400, 259200)] == [
        "5min",
        "30min",
        "1h",
        "6h",
        "1d",
        "3d",
    ]
