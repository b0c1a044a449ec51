"""stainless.pipeline.monitor_result: one check's result as the JSON written to the store and
printed by `stainless monitor --json` (plain types only, summaries included)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

from stainless.monitoring.drift import DriftResult, DriftSettings, FeatureDrift
from stainless.monitoring.quality import QualityResult
from stainless.monitoring.slo import DEFAULT_WINDOWS, BurnAlert, SloResult
from stainless.pipeline.monitor_result import MonitorResult

SINCE = datetime(2026, 3, 10, 9, tzinfo=UTC)


def moved(name: str) -> FeatureDrift:
    return FeatureDrift(
        feature=name, kind="numeric", drifted=True, p_value=1e-9, p_adjusted=1e-8,
        statistic=80.0, psi=0.8, js_distance=0.3, reference_rows=800, current_rows=160,
        null_share_reference=0.0, null_share_current=0.0, mean_shift_sd=2.0, since=SINCE,
    )  # fmt: skip


def result() -> MonitorResult:
    drift = DriftResult("drift", DriftSettings(), 160, (moved("area_sqm"),), moved("prediction"))
    return MonitorResult(
        model="house-prices", version=2, run_id="run-2",
        checked_at=datetime(2026, 3, 10, 12, tzinfo=UTC), since=SINCE, records=150, rows=160,
        first_seen=SINCE, last_seen=None, drift=drift, result_key="monitoring/k.json",
        report_key="monitoring/k.html", report_url="file:///k.html", alerted=True,
        figures={"area_sqm": b"\x89PNG"},
    )  # fmt: skip


def test_the_json_form_holds_plain_types_and_what_people_read():
    data = json.loads(json.dumps(result().to_dict()))  # no datetime, bytes or dataclass left
    assert data["status"] == "drift" and data["drifted"] == ["area_sqm"]
    assert data["prediction_drifted"] is True
    assert data["checked_at"] == "2026-03-10T12:00:00+00:00" and data["last_seen"] is None
    [feature] = data["features"]
    assert feature["since"] == "2026-03-10T09:00:00+00:00"
    assert feature["summary"].startswith("area_sqm: mean +2.00 sd, PSI 0.80")
    assert data["prediction"]["feature"] == "prediction"
    assert data["settings"]["alpha"] == DriftSettings().alpha
    assert "figures" not in data  # the PNGs go into the HTML report, not the JSON
    assert data["quality"] is None and data["slo"] is None


def test_quality_and_slo_are_included_with_the_slos_severity_and_alerts():
    burn = BurnAlert(DEFAULT_WINDOWS[0], 20.0, 30.0, 0.02, 0.03)
    quality = QualityResult("ok", "rmse", "minimize", 120, 10.0, 10.5, 9.8, 11.2)
    full = replace(result(), quality=quality, slo=SloResult("breached", 0.001, None, (burn,)))
    data = json.loads(json.dumps(full.to_dict()))
    assert data["quality"]["live_value"] == 10.5 and data["quality"]["labels"] == 120
    assert data["slo"]["severity"] == "page"
    assert data["slo"]["alerts"] == [burn.summary()]
