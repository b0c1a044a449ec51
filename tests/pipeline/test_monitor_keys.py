"""The parts of a monitoring check that need no project: --since and capture-file days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from stainless.core.errors import StageError
from stainless.pipeline.monitor import _day_of, parse_since

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def test_since_is_a_duration_or_an_iso_time() -> None:
    assert parse_since("6h", NOW, "24h") == NOW - timedelta(hours=6)
    assert parse_since(None, NOW, "2d") == NOW - timedelta(days=2)
    assert parse_since("2026-03-09T00:00:00Z", NOW, "24h") == datetime(2026, 3, 9, tzinfo=UTC)
    with pytest.raises(StageError, match="--since"):
        parse_since("yesterday", NOW, "24h")


def test_day_of_reads_our_and_sagemaker_layouts() -> None:
    assert _day_of("capture/m/3/2026-03-09/ab.jsonl") == "2026-03-09"
    assert _day_of("capture/m/m-endpoint/AllTraffic/2026/03/09/17/x.jsonl") == "2026-03-09"
    assert _day_of("capture/m/readme.txt") is None


def test_monitor_without_a_production_version_says_what_to_do(bake) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner
    from stainless.cli import main

    result = CliRunner().invoke(main, ["monitor", "-C", str(bake())])
    assert result.exit_code != 0
    assert "no production version" in result.output and "stainless run" in result.output
