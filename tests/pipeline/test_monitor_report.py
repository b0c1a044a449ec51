"""stainless.pipeline.monitor_report: the evidence of one check (figure, HTML report) and the
drift and SLO alerts as the team receives them (the real Slack client, the Slack stub). The
check that produces a result runs in tests/pipeline/test_monitor.py."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from stainless.backends.notify.background import flush_notifications
from stainless.monitoring.drift import DriftResult, DriftSettings, FeatureDrift
from stainless.monitoring.slo import DEFAULT_WINDOWS, BurnAlert, SloResult
from stainless.pipeline.monitor_report import drift_alert, drift_figure, render_report, slo_alert
from stainless.pipeline.monitor_result import MonitorResult
from stainless.workspace import Workspace, open_workspace
from support.slack import message_fields, notify_through

PNG = b"\x89PNG\r\n\x1a\n"
CHECKED = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)


def feature(name: str, drifted: bool) -> FeatureDrift:
    return FeatureDrift(
        feature=name, kind="numeric", drifted=drifted, p_value=1e-9 if drifted else 0.6,
        p_adjusted=1e-8 if drifted else 0.9, statistic=80.0, psi=0.8 if drifted else 0.01,
        js_distance=0.3, reference_rows=800, current_rows=160, null_share_reference=0.0,
        null_share_current=0.0, mean_reference=60.0, mean_current=90.0 if drifted else 60.0,
        mean_shift_sd=2.0 if drifted else 0.0, std_ratio=1.0,
        since=datetime(2026, 3, 10, 9, tzinfo=UTC) if drifted else None,
        cells=("<40", "40-80", ">=80"), reference_shares=(0.3, 0.6, 0.1),
        current_shares=(0.0, 0.3, 0.7) if drifted else (0.3, 0.6, 0.1),
    )  # fmt: skip


def result(figures: dict[str, bytes] | None = None) -> MonitorResult:
    drift = DriftResult(
        "drift", DriftSettings(), 160, (feature("area_sqm", True), feature("rooms", False))
    )
    return MonitorResult(
        model="house-prices", version=2, run_id="run-2", checked_at=CHECKED,
        since=datetime(2026, 3, 9, 12, 30, tzinfo=UTC), records=160, rows=160,
        first_seen=None, last_seen=None, drift=drift, result_key="k.json", report_key="k.html",
        report_url="https://reports.example/k.html", alerted=False, figures=figures or {},
    )  # fmt: skip


@pytest.fixture
def project(bake: Callable[..., Path], slack_stub, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    notify_through(slack_stub, monkeypatch)
    return open_workspace(bake())


def test_the_figure_is_a_png_of_the_bins_that_hold_rows():
    png = drift_figure(feature("area_sqm", True))
    assert png.startswith(PNG) and len(png) > 1000


def test_the_report_lists_every_feature_and_embeds_the_figures():
    page = render_report(result({"area_sqm": drift_figure(feature("area_sqm", True))}))
    assert "house-prices · version 2" in page
    assert '<tr class="drifted">\n<td>area_sqm</td><td>yes</td>' in page
    assert "<td>rooms</td><td>no</td>" in page
    assert "2026-03-10 09:00" in page  # since when area_sqm moved
    [image] = page.split('src="data:image/png;base64,')[1:]
    assert base64.b64decode(image.split('"', 1)[0]).startswith(PNG)


def test_the_drift_alert_names_what_moved_since_when_with_its_figure(project, slack_stub):
    png = drift_figure(feature("area_sqm", True))
    drift_alert(project, result({"area_sqm": png}))
    flush_notifications(project.notifier, timeout_s=10)
    [message] = slack_stub.messages
    assert html.unescape(message["text"]).endswith("Drift in v2 of house-prices: area_sqm")
    fields = message_fields(message)
    assert fields[0] == "*Area sqm*\nmean +2.00 sd, PSI 0.80, p=1e-08 (since 2026-03-10 09:00 UTC)"
    assert "*Rows checked*\n160" in fields
    assert any("https://reports.example/k.html" in f for f in fields)
    assert not any("rooms" in f for f in fields)  # only what moved
    # The figure is kept beside the check, for a notifier that uploads figures (slack's
    # upload_figures: true; off by default, so nothing was uploaded here).
    saved = project.work_dir / "monitoring" / "20260310T123000Z" / "drift-area_sqm.png"
    assert saved.read_bytes() == png
    assert not slack_stub.uploaded_files


def test_a_paging_slo_burn_is_an_alert_with_its_windows(project, slack_stub):
    burn = BurnAlert(DEFAULT_WINDOWS[0], 20.0, 30.0, 0.02, 0.03)
    slo = SloResult("breached", 0.001, 200.0, (burn,), latency_breached=True)
    slo_alert(project, result(), slo)
    flush_notifications(project.notifier, timeout_s=10)
    [message] = slack_stub.messages
    text = html.unescape(message["text"])
    assert "v2 of house-prices is burning its error budget (page)" in text
    fields = message_fields(message)
    assert fields[0].startswith("*Page (14.4x)*\nerror budget burning 20.0x over")
    assert "*Error objective*\n0.100% of requests" in fields
    assert any(f.startswith("*Latency p95*\n") and "> objective 200.0 ms" in f for f in fields)
