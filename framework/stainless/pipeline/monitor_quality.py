"""Live quality of a monitoring check: the labels query, the join on request id, the alert."""

from __future__ import annotations

from typing import Any

from stainless.core.errors import ConfigError
from stainless.monitoring.quality import QualityResult, QualitySettings, live_quality
from stainless.pipeline.metrics import SCORE_METRICS, compute_metric
from stainless.pipeline.monitor_result import MonitorResult
from stainless.workspace import Workspace as Project


def labels_by_request(project: Project, sql: str | None) -> dict[str, Any] | None:
    """request id -> true label, from monitoring.quality.labels_query on the data source."""
    if not sql:
        return None
    source = project.open_data()
    try:
        frame = source.query(sql)
    finally:
        source.close()
    if not {"request_id", "label"} <= set(frame.columns):
        raise ConfigError(
            "the labels query must return the columns request_id and label "
            f"(it returned {', '.join(map(str, frame.columns)) or 'no columns'})",
            file="model.yaml",
            key="monitoring.quality.labels_query",
            fix="e.g. SELECT inference_id AS request_id, sold_price AS label FROM outcomes",
        )
    return dict(zip(frame["request_id"].astype(str), frame["label"].tolist(), strict=True))


def quality_of(
    project: Project,
    registered: dict[str, Any],
    labelled: list[tuple[Any, Any, Any]],
    section: dict[str, Any],
) -> QualityResult:
    config = project.config
    name = config.metric
    needs_score = name in SCORE_METRICS
    settings = QualitySettings(
        **{k: section[k] for k in ("min_labels", "confidence", "tolerance") if k in section}
    )
    truth = [row[0] for row in labelled]
    predictions = [row[1] for row in labelled]
    scores = [row[2] for row in labelled] if needs_score else None
    value = registered.get(name)
    return live_quality(
        name,
        lambda t, p, s: compute_metric(name, t, p, s),
        config.direction,
        float(value) if value is not None else None,
        truth,
        predictions,
        scores,
        settings,
    )


def quality_alert(
    project: Project, result: MonitorResult, quality: QualityResult, note: str = ""
) -> None:
    level = f"{quality.confidence:.0%}"
    title = f"{quality.metric} of v{result.version} dropped on live traffic"
    project.notify(
        "quality_drop",
        f"{title} ({note})" if note else title,
        result.run_id,
        fields={
            f"live {quality.metric}": quality.live_value,
            f"{level} interval": f"[{quality.ci_low:.4g}, {quality.ci_high:.4g}]",
            f"validation {quality.metric}": quality.validation_value,
            "labelled rows": quality.labels,
            "report": result.report_url,
        },
        severity="alert",
    )
