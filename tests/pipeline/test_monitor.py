"""`stainless monitor` on real traffic: a baked project's first version is promoted and served
by the local endpoint; `stainless traffic` replays validation rows, unchanged and then with two
features shifted; the check flags exactly those two, with evidence, and the Slack stub gets it.
One test (one trained project, ~1 min): labels joined from DuckDB for live quality, and an error
burst in the endpoint's counters for the burn-rate alert, ride on the same endpoint."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from stainless.core.errors import StageError
from stainless.pipeline.monitor import _day_of, parse_since
from stainless.workspace import open_workspace as open_project
from support.served_project import captured, promoted, replay, stainless

pytestmark = pytest.mark.integration
REPLAY = 160  # every validation row once (800 rows, test_size 0.2)


@pytest.fixture
def project_dir(bake) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    serving = {
        "capture_sample_rate": 1.0,
        "capture_flush_seconds": 0.2,
        "capture_redact_fields": ["bedrooms"],
    }
    monitoring = {
        "drift": {"min_rows": 100},
        "quality": {"labels_query": "SELECT request_id, label FROM outcomes", "min_labels": 100},
    }
    with promoted(bake(), serving=serving, monitoring=monitoring) as project_dir:
        yield project_dir


def write_outcomes(project_dir: Path, records: list, factor: float) -> None:  # type: ignore[type-arg]
    """The labels table a labels query reads: request id -> true price, as a business would
    record them days later (here: the validation rows' prices, times ``factor``)."""
    from stainless.pipeline.stages.preprocess import load_split

    rows = load_split(open_project(project_dir), "run-1", "validation")
    key = ["area_sqm", "age_years", "distance_km", "neighborhood"]
    price = {tuple(row[k] for k in key): row["price"] for _, row in rows.iterrows()}
    lines = ["request_id,label"]
    for record in records:
        lines.append(f"{record.request_id},{price[tuple(record.request[k] for k in key)] * factor}")
    (project_dir / "data" / "outcomes.csv").write_text("\n".join(lines) + "\n")


def test_shifted_replay_flags_exactly_the_shifted_features(
    project_dir: Path, slack_stub, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    where = ["-C", str(project_dir)]
    stainless("endpoint", "up", *where)
    replay(project_dir, REPLAY)
    records = captured(project_dir)
    write_outcomes(project_dir, records, factor=1.0)
    assert all(r.request_id and r.version == "1" and r.variant == "v1" for r in records)
    assert all(r.request["bedrooms"] == "[redacted]" for r in records)

    calm = json.loads(stainless("monitor", *where, "--json"))
    assert calm["status"] == "ok" and calm["rows"] == REPLAY and calm["drifted"] == []
    assert "bedrooms" not in [f["feature"] for f in calm["features"]]  # redacted: not tested
    assert calm["quality"]["status"] == "ok" and calm["quality"]["labels"] == REPLAY
    assert calm["quality"]["ci_low"] <= calm["quality"]["validation_value"]

    human = " ".join(stainless("monitor", *where, "--no-notify").split())
    assert "house-prices v1: ok" in human and "area_sqm" in human and "report:" in human

    write_outcomes(project_dir, records, factor=1.6)  # the world changed: prices are 60 % up
    worse = json.loads(stainless("monitor", *where, "--json", "--no-notify"))
    assert worse["status"] == "ok" and worse["quality"]["status"] == "dropped"
    assert worse["quality"]["ci_low"] > worse["quality"]["validation_value"]  # rmse: lower=better

    time.sleep(0.01)
    shifted_at = datetime.now(UTC).isoformat()
    replay(project_dir, REPLAY, "area_sqm=+2sd", "neighborhood=center")
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_stub.token)
    monkeypatch.setenv("SLACK_API_URL", slack_stub.base_url)
    monkeypatch.setenv("STAINLESS_NOTIFY", "slack://#ml-models")
    report = tmp_path / "report.html"
    result = json.loads(
        stainless("monitor", *where, "--since", shifted_at, "--report", str(report), "--json")
    )
    assert result["status"] == "drift" and result["rows"] == REPLAY
    assert result["drifted"] == ["area_sqm", "neighborhood"]
    area = next(f for f in result["features"] if f["feature"] == "area_sqm")
    assert 1.5 < area["mean_shift_sd"] < 2.5 and area["p_adjusted"] < 0.01
    assert area["since"] is not None
    html = report.read_text()
    assert html.count("data:image/png;base64,") >= 2 and "area_sqm" in html
    (message,) = [m for m in slack_stub.messages if "Drift" in m.get("text", "")]
    assert "area_sqm" in message["text"] and "neighborhood" in message["text"]
    assert "mean +" in json.dumps(message["blocks"])
    store = open_project(project_dir).store
    assert store.exists(result["result_key"])
    assert result["slo"]["status"] == "ok"

    # SLO: an error burst pages through the multi-window burn-rate alert.
    from stainless.backends.endpoints.local.counters import Tally

    # The burst: the router's own counter store gets a minute in which 30 % of requests failed
    # (what a broken dependency of the model looks like from the endpoint).
    endpoint = open_project(project_dir).endpoint
    now = int(time.time())
    endpoint.counter_store.add(
        {("v1", now - i): Tally(requests=10, ok=7, model_errors=3) for i in range(60)}
    )
    result = json.loads(stainless("monitor", *where, "--json"))
    slo = result["slo"]
    assert slo["status"] == "breached" and slo["severity"] == "page"
    assert any("over 1h" in alert and "over 5min" in alert for alert in slo["alerts"])
    (message,) = [m for m in slack_stub.messages if "error budget" in m.get("text", "")]
    assert "page" in message["text"]


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
