"""One monitoring check: captured traffic of the production version vs its reference profile.

Reads the capture files under ``capture/MODEL/`` (our format, or SageMaker DataCaptureConfig's),
profiles the window's rows in one pass (memory: the bins of one profile per hour of the window),
tests every feature and the prediction (stainless.monitoring.drift), writes the result (JSON) and
an HTML report to the store, alerts with the evidence when something moved (once per episode:
stainless.pipeline.monitor_alerts), and deletes captured days past the retention period. See
docs/monitoring.md.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from stainless.backends.notify.background import flush_notifications
from stainless.core.durations import parse_duration
from stainless.core.errors import StageError
from stainless.monitoring.drift import DriftSettings, detect, onset
from stainless.monitoring.profile import Profile
from stainless.pipeline.monitor_alerts import claim as claim_notifications
from stainless.pipeline.monitor_alerts import send as send_notifications
from stainless.pipeline.monitor_quality import labels_by_request, quality_of
from stainless.pipeline.monitor_report import drift_figure, render_report
from stainless.pipeline.monitor_result import MonitorResult, Notification
from stainless.pipeline.slo import check_slo
from stainless.project.hosting import CAPTURE_PREFIX as SAGEMAKER_CAPTURE_PREFIX
from stainless.serving.records import capture_prefix, parse_lines, sagemaker_variant
from stainless.workspace import Workspace as Project
from stainless.workspace.layout import (
    monitoring_report_key,
    monitoring_result_key,
    reference_profile_key,
)
from stainless.workspace.variants import variant_name

log = logging.getLogger("stainless.pipeline")
CHUNK_ROWS = 10_000  # rows profiled at once: bounds memory whatever the window holds
BUCKET = timedelta(hours=1)  # "since when" resolution


ALERT_FLUSH_S = 10.0


def parse_since(value: str | None, now: datetime, default: str | int) -> datetime:
    """``--since``: a duration back from now (6h, 2d) or an ISO time; default the config's."""
    text = value if value is not None else default
    try:
        return now - timedelta(seconds=parse_duration(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise StageError(
            f"--since {text!r} is neither a duration (e.g. 6h, 2d) nor an ISO time",
            fix="pass e.g. --since 24h or --since 2026-03-01T00:00:00Z",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run_monitor(
    project: Project,
    since: str | None = None,
    *,
    report_path: Path | None = None,
    notify: bool = True,
    now: datetime | None = None,
) -> MonitorResult:
    config = project.config
    section = config.raw.get("monitoring", {})
    serving = config.raw.get("serving", {})
    now = now or datetime.now(UTC)
    start = parse_since(since, now, section.get("window", "24h"))
    production = project.registry.production()
    if production is None:
        raise StageError(
            f"{project.name} has no production version to monitor",
            fix="promote a version first (`stainless run`)",
        )
    reference = _reference(project, production.run_id, production.version)
    skipped = {
        *section.get("drift", {}).get("exclude", []),
        *serving.get("capture_drop_fields", []),
        *serving.get("capture_redact_fields", []),
    }
    for name in skipped:
        reference.features.pop(name, None)
    settings = DriftSettings.from_mapping(section.get("drift", {}))
    quality_section = section.get("quality", {})
    labels = labels_by_request(project, quality_section.get("labels_query"))
    scan = _profile_window(project, reference, production.version, start, now, labels)
    quality = None
    if labels is not None:
        quality = quality_of(project, production.metrics, scan.labelled, quality_section)
    current = reference.like()
    for bucket in scan.buckets.values():
        current = current.merge(bucket)
    ordered = sorted(scan.buckets.items())
    since_by_feature = {
        name: onset(sketch, [(at, p.features[name]) for at, p in ordered], settings)
        for name, sketch in reference.features.items()
    }
    if reference.prediction is not None:
        since_by_feature["prediction"] = onset(
            reference.prediction,
            [(at, p.prediction) for at, p in ordered if p.prediction is not None],
            settings,
        )
    drift = detect(reference, current, settings, since_by_feature)
    checked = now.strftime("%Y%m%dT%H%M%SZ")
    result_key = monitoring_result_key(project.name, checked)
    report_key = monitoring_report_key(project.name, checked)
    figures = {
        f.feature: drift_figure(f) for f in [*drift.features, drift.prediction] if f and f.drifted
    }
    slo = check_slo(project, production.version, now.timestamp())
    pruned = _prune(project, int(serving.get("capture_retention_days", 30)), now)
    result = MonitorResult(
        model=project.name,
        version=production.version,
        run_id=production.run_id,
        checked_at=now,
        since=start,
        records=scan.records,
        rows=current.rows,
        first_seen=scan.first,
        last_seen=scan.last,
        drift=drift,
        result_key=result_key,
        report_key=report_key,
        report_url=project.store.url(report_key),
        alerted=notify
        and (drift.status == "drift" or (quality is not None and quality.status == "dropped")),
        pruned_files=pruned,
        quality=quality,
        slo=slo,
        figures=figures,
    )
    if notify:
        result = replace(result, notification=claim_notifications(project, result, now))
    else:
        result = replace(
            result, notification=Notification(False, "notifications off (--no-notify)")
        )
    html = render_report(result)
    project.store.put_bytes(report_key, html.encode())
    project.store.put_bytes(result_key, json.dumps(result.to_dict(), indent=2).encode())
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(html)
    if result.notification is not None and result.notification.sent:
        send_notifications(project, result, result.notification)
        # A check is one shot (a command, an Airflow task): its alerts leave the queue before
        # it ends.
        flush_notifications(project.notifier, timeout_s=ALERT_FLUSH_S)
    return result


def check_after_replay(
    project: Project, shifts: tuple[str, ...] = (), settle_s: float = 1.5
) -> MonitorResult:
    """Replay production's validation rows (each once, optionally shifted) through the
    endpoint, wait for the servers to write their captured records, then check exactly that
    traffic (the demo's monitoring step; `stainless traffic --shift` + `stainless monitor`)."""
    import time

    from stainless.pipeline.replay import replay_run
    from stainless.pipeline.stages.preprocess import load_split

    production = project.registry.production()
    if production is None:
        raise StageError(f"{project.name} has no production version", fix="run `stainless run`")
    rows = len(load_split(project, production.run_id, "validation"))
    started = datetime.now(UTC).isoformat()
    replay_run(
        project,
        run_id=production.run_id,
        rate=400,
        duration=max(rows / 400 * 2, 5),
        max_requests=rows,
        shifts=shifts,
    )
    time.sleep(settle_s)
    return run_monitor(project, started)


def _reference(project: Project, run_id: str, version: int) -> Profile:
    key = reference_profile_key(run_id)
    if not project.store.exists(key):
        raise StageError(
            f"version {version} (run {run_id}) has no reference profile at {key}",
            fix="retrain it with this stainless version (`stainless run`): the train stage "
            "writes the profile monitoring compares traffic with",
        )
    return Profile.from_dict(json.loads(project.store.get_bytes(key)))


@dataclass
class _Scan:
    buckets: dict[datetime, Profile] = field(default_factory=dict)
    # (true label, prediction, score) of captured requests the labels query knows
    labelled: list[tuple[Any, Any, Any]] = field(default_factory=list)
    records: int = 0
    first: datetime | None = None
    last: datetime | None = None


def _profile_window(
    project: Project,
    reference: Profile,
    version: int,
    start: datetime,
    end: datetime,
    labels: dict[str, Any] | None = None,
) -> _Scan:
    """One pass over the window's capture files; rows are profiled CHUNK_ROWS at a time."""
    field_name = project.config["response_field"]
    score_name = project.config["score_field"]
    scan = _Scan()
    pending: dict[datetime, tuple[list[Any], list[Any]]] = {}
    pending_rows = 0

    def flush() -> None:
        for at, (requests, predictions) in pending.items():
            bucket = scan.buckets.setdefault(at, reference.like())
            frame = pd.DataFrame.from_records([r if isinstance(r, dict) else {} for r in requests])
            bucket.update(frame, predictions)
        pending.clear()

    for key in _capture_keys(project, start):
        for record in parse_lines(project.store.get_bytes(key), sagemaker_variant(key)):
            if not start <= record.captured_at <= end:
                continue
            if record.version is not None and record.version != str(version):
                continue
            # SageMaker's records carry no version; the variant (v{version}) in the key does.
            if record.version is None and record.variant not in (None, variant_name(version)):
                continue
            scan.records += 1
            scan.first = min(scan.first or record.captured_at, record.captured_at)
            scan.last = max(scan.last or record.captured_at, record.captured_at)
            if labels and record.request_id in labels and isinstance(record.response, dict):
                scan.labelled.append(
                    (
                        labels[record.request_id],
                        record.response.get(field_name),
                        record.response.get(score_name),
                    )
                )
            at = record.captured_at.replace(minute=0, second=0, microsecond=0)
            requests, predictions = pending.setdefault(at, ([], []))
            for request, response in record.rows():
                requests.append(request)
                predictions.append(
                    response.get(field_name) if isinstance(response, dict) else response
                )
                pending_rows += 1
            if pending_rows >= CHUNK_ROWS:
                flush()
                pending_rows = 0
    flush()
    return scan


def _capture_keys(project: Project, start: datetime) -> list[str]:
    """Capture files that may hold records at or after ``start`` (day folders before it are
    skipped without being read)."""
    keys = []
    first_day = start.strftime("%Y-%m-%d")
    for key in _capture_files(project):
        if not key.endswith(".jsonl"):
            continue
        day = _day_of(key)
        if day is None or day >= first_day:
            keys.append(key)
    return sorted(keys)


def _capture_files(project: Project) -> list[str]:
    """Our servers' capture files, and SageMaker DataCaptureConfig's (hosting.data_capture:
    sagemaker writes them under datacapture/ENDPOINT/VARIANT/yyyy/mm/dd/hh/)."""
    ours = project.store.list(capture_prefix(project.name))
    return ours + project.store.list(f"{SAGEMAKER_CAPTURE_PREFIX}/{project.name}/")


def _day_of(key: str) -> str | None:
    """The day of a capture file: ours capture/M/V/YYYY-MM-DD/F, SageMaker's .../YYYY/MM/DD/HH/F."""
    parts = key.split("/")
    if len(parts) >= 2 and len(parts[-2]) == 10 and parts[-2][4] == "-":
        return parts[-2]
    if len(parts) >= 5 and all(p.isdigit() for p in parts[-5:-1]):
        return f"{parts[-5]}-{parts[-4]}-{parts[-3]}"
    return None


def _prune(project: Project, retention_days: int, now: datetime) -> int:
    """Delete captured files of days older than the retention period."""
    cutoff = (now - timedelta(days=retention_days)).strftime("%Y-%m-%d")
    pruned = 0
    for key in _capture_files(project):
        day = _day_of(key)
        if day is not None and day < cutoff:
            project.store.delete(key)
            pruned += 1
    if pruned:
        log.info("deleted %d capture file(s) older than %d days", pruned, retention_days)
    return pruned
