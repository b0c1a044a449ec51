"""What one monitoring check found (typed), and its JSON form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from stainless.monitoring.drift import DriftResult, FeatureDrift
from stainless.monitoring.episodes import AlertDecision
from stainless.monitoring.quality import QualityResult
from stainless.monitoring.slo import SloResult


@dataclass(frozen=True)
class Notification:
    """Whether the check's alerts were sent, and why not (one alert per episode:
    stainless.monitoring.episodes)."""

    sent: bool
    reason: str
    decisions: tuple[AlertDecision, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "reason": self.reason,
            "alerts": [decision.to_dict() for decision in self.decisions],
        }


@dataclass(frozen=True)
class MonitorResult:
    model: str
    version: int
    run_id: str
    checked_at: datetime
    since: datetime
    records: int  # capture records read in the window
    rows: int  # requests profiled (a batch record holds several)
    first_seen: datetime | None
    last_seen: datetime | None
    drift: DriftResult
    result_key: str
    report_key: str
    report_url: str
    alerted: bool  # the check found something to alert about (notifications on)
    pruned_files: int = 0
    quality: QualityResult | None = None
    slo: SloResult | None = None
    figures: dict[str, bytes] = field(default_factory=dict, repr=False)
    notification: Notification | None = None  # None: not decided yet

    @property
    def status(self) -> str:
        return self.drift.status

    def to_dict(self) -> dict[str, Any]:
        out = {
            "model": self.model,
            "version": self.version,
            "run_id": self.run_id,
            "checked_at": self.checked_at.isoformat(),
            "since": self.since.isoformat(),
            "records": self.records,
            "rows": self.rows,
            "first_seen": self.first_seen.isoformat() if self.first_seen else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
            "status": self.drift.status,
            "reason": self.drift.reason,
            "drifted": self.drift.drifted,
            "prediction_drifted": self.drift.prediction_drifted,
            "settings": asdict(self.drift.settings),
            "features": [_feature_dict(f) for f in self.drift.features],
            "prediction": _feature_dict(self.drift.prediction) if self.drift.prediction else None,
            "result_key": self.result_key,
            "report_url": self.report_url,
            "alerted": self.alerted,
            "notified": bool(self.notification and self.notification.sent),
            "notification": self.notification.to_dict() if self.notification else None,
            "pruned_files": self.pruned_files,
            "quality": asdict(self.quality) if self.quality else None,
            "slo": _slo_dict(self.slo) if self.slo else None,
        }
        return out


def _slo_dict(slo: SloResult) -> dict[str, Any]:
    data = asdict(slo)
    data["severity"] = slo.severity
    data["alerts"] = [burn.summary() for burn in slo.burns]
    return data


def _feature_dict(feature: FeatureDrift) -> dict[str, Any]:
    data = asdict(feature)
    data["since"] = feature.since.isoformat() if feature.since else None
    data["summary"] = feature.summary()
    return data
