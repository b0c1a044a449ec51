"""Which of a check's alerts are sent: one per episode, reminders, "resolved" (docs/monitoring.md).

The check's result always reports what it found; this module decides what the team hears. The
open episodes live in ``monitoring/MODEL/state.json`` (key ``episodes``), updated with one
compare-and-swap together with the alert's record the DAG's retrain task reads. The
notifications are *claimed* in the state before they are sent: of two checks that overlap, the
one whose write lands second re-reads the state, sees the episode the first one opened and stays
quiet, so an episode's start is announced once (at most once: a check that dies between its
write and its Slack call loses that message, and the reminder after ``alert_repeat`` repeats it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from stainless.core.durations import parse_duration
from stainless.monitoring.episodes import AlertDecision, Episode, Finding, decide
from stainless.pipeline.monitor_quality import quality_alert
from stainless.pipeline.monitor_report import drift_alert, slo_alert
from stainless.pipeline.monitor_result import MonitorResult, Notification
from stainless.pipeline.monitor_retrain import alerts_of, update_state
from stainless.workspace import Workspace as Project

TITLES = {"drift": "Drift", "quality_drop": "Live quality drop", "slo_burn": "SLO burn"}


def alert_repeat(section: dict[str, Any]) -> timedelta | None:
    """``monitoring.alert_repeat``: how long an open episode stays quiet (None: for ever)."""
    value = section.get("alert_repeat", "24h")
    return None if value is None else timedelta(seconds=parse_duration(value))


def findings_of(result: MonitorResult) -> list[Finding]:
    """What the check says per alert kind; a kind it could not judge is left out (too few rows,
    no labels query or too few labels, no traffic to judge an SLO by)."""
    found = []
    drift = result.drift
    if drift.status != "insufficient_data":
        keys = [*drift.drifted, *(["prediction"] if drift.prediction_drifted else [])]
        found.append(Finding("drift", drift.status == "drift", tuple(keys)))
    quality = result.quality
    if quality is not None and quality.status != "insufficient_data":
        found.append(Finding("quality_drop", quality.status == "dropped"))
    slo = result.slo
    if slo is not None and slo.status != "no_traffic":
        keys = [slo.severity] if slo.severity else []
        if slo.latency_breached:
            keys.append("latency")
        found.append(Finding("slo_burn", slo.status == "breached", tuple(keys)))
    return found


def claim(project: Project, result: MonitorResult, now: datetime) -> Notification:
    """Decide which alerts this check sends and record the episodes (and, when it raised an
    alert a retraining could answer, that alert's evidence) in the state, atomically."""
    repeat = alert_repeat(project.config.raw.get("monitoring", {}))
    findings = findings_of(result)
    decisions: list[AlertDecision] = []

    def change(state: dict[str, Any]) -> dict[str, Any]:
        stored = state.get("episodes")
        episodes = {
            kind: episode
            for kind, data in (stored.items() if isinstance(stored, dict) else [])
            if isinstance(data, dict) and (episode := Episode.from_dict(data)) is not None
        }
        decisions[:] = decide(episodes, findings, result.version, now, repeat)
        state["episodes"] = {d.kind: d.episode.to_dict() for d in decisions if d.episode}
        if alerts_of(result):  # what the retrain task attaches to the asset event
            state.update(
                last_alert=now.isoformat(),
                drifted=result.drift.drifted,
                version=result.version,
                alerts=list(alerts_of(result)),
                result_key=result.result_key,
            )
        return state

    update_state(project, change)
    sent = [d for d in decisions if d.notifies]
    if sent:
        reason = "; ".join(f"{d.kind}: {d.reason}" for d in sent)
    elif decisions:
        reason = "; ".join(f"{d.kind}: {d.reason}" for d in decisions)
    else:
        reason = "nothing to alert"
    return Notification(bool(sent), reason, tuple(decisions))


def send(project: Project, result: MonitorResult, notification: Notification) -> None:
    """Send what :func:`claim` decided."""
    for decision in notification.decisions:
        if decision.action == "resolve" and decision.ended is not None:
            _resolved(project, result, decision.ended)
            continue
        if decision.action != "notify":
            continue
        note = _note(decision)
        if decision.kind == "drift":
            drift_alert(project, result, note)
        elif decision.kind == "quality_drop" and result.quality is not None:
            quality_alert(project, result, result.quality, note)
        elif decision.kind == "slo_burn" and result.slo is not None:
            slo_alert(project, result, result.slo, note)


def _note(decision: AlertDecision) -> str:
    episode = decision.episode
    if not decision.reminder or episode is None:
        return ""
    since = f"since {episode.started_at:%Y-%m-%d %H:%M} UTC"
    if decision.new_keys:
        return f"new: {', '.join(decision.new_keys)}; episode {since}"
    return f"still going {since}"


def _resolved(project: Project, result: MonitorResult, ended: Episode) -> None:
    what = TITLES.get(ended.kind, ended.kind)
    fields: dict[str, Any] = {
        "began": f"{ended.started_at:%Y-%m-%d %H:%M} UTC",
        "last seen": f"{ended.last_seen_at:%Y-%m-%d %H:%M} UTC",
        "checks that found it": ended.checks,
    }
    if ended.notified:
        fields["named"] = ", ".join(ended.notified)
    fields["report"] = result.report_url
    project.notify(
        "alert_resolved",
        f"{what} in v{ended.version} of {project.name} is over",
        result.run_id,
        fields=fields,
        severity="success",
    )
