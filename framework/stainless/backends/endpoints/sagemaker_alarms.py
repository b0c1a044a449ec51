"""CloudWatch alarms of a SageMaker endpoint's variants: model.yaml's SLOs (``monitoring.slo``) as
the SRE workbook's multi-window burn-rate alerts (the pairs of stainless.core.burn).

Per variant and burn pair, two metric-math alarms watch the error rate
``Invocation5XXErrors / Invocations`` (0 below ``min_requests`` invocations) over the long and
the short window, at the pair's threshold (burn rate x allowed error rate), and one composite
alarm fires when both do: the long window proves the problem matters, the short one that it is
still going on. With a latency objective, two alarms on ``ModelLatency`` p95 (1 h and 5 min) and
their composite. Only composites carry the ``alarm_actions``.

Each window is one period (EvaluationPeriods 1). CloudWatch lets an alarm look back at most seven
days when its period is an hour or more (one day below that: the PutMetricAlarm reference), so
every window of the workbook's pairs, the 3-day one included, fits as it is. Alarm names are
deterministic (``stainless-ENDPOINT-VARIANT-...``): putting them again updates them, so
:meth:`VariantAlarms.register` is idempotent; it also deletes this variant's alarms the settings
no longer ask for. Driven like autoscaling: registered when a variant is deployed, deregistered
when it is removed or the endpoint is deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stainless.backends.endpoints import SloAlarms
from stainless.core.burn import DEFAULT_WINDOWS, human_duration
from stainless.core.errors import BackendError

NAMESPACE = "AWS/SageMaker"
# CloudWatch: Period x EvaluationPeriods <= 7 days for periods of an hour or more (1 day below).
MAX_PERIOD_S = 604800
LATENCY_WINDOWS = (3600, 300)  # as the local check: the first pair's windows


def alarm_prefix(endpoint: str, variant: str) -> str:
    return f"stainless-{endpoint}-{variant}-"


class VariantAlarms:
    """The SLO alarms of each variant of one endpoint (``slo`` None: no alarms)."""

    def __init__(
        self,
        client: Any,
        endpoint: str,
        slo: SloAlarms | None,
        error: Callable[[str, Exception], BackendError],
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.slo = slo
        self._error = error

    def wanted(self, variant: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """The metric alarms and the composite alarms ``variant`` should have."""
        slo = self.slo
        if slo is None:
            return [], []
        prefix = alarm_prefix(self.endpoint, variant)
        metric_alarms, composites = [], []
        for window in DEFAULT_WINDOWS:
            long, short = human_duration(window.long_s), human_duration(window.short_s)
            pair = f"{prefix}errors-{long}-{short}"
            threshold = window.threshold * slo.error_rate
            names = []
            for role, seconds in (("long", window.long_s), ("short", window.short_s)):
                names.append(f"{pair}-{role}")
                metric_alarms.append(
                    self._error_alarm(names[-1], variant, min(seconds, MAX_PERIOD_S), threshold)
                )
            composites.append(
                self._composite(
                    pair,
                    names,
                    f"{self.endpoint}/{variant} burns its error budget {window.threshold}x "
                    f"over {long} and {short} ({window.severity}; objective: at most "
                    f"{slo.error_rate:g} of requests fail)",
                )
            )
        if slo.latency_p95_ms is not None:
            pair = f"{prefix}latency-p95"
            names = []
            for seconds in LATENCY_WINDOWS:
                names.append(f"{pair}-{human_duration(seconds)}")
                metric_alarms.append(
                    {
                        "AlarmName": names[-1],
                        "Namespace": NAMESPACE,
                        "MetricName": "ModelLatency",
                        "Dimensions": self._dimensions(variant),
                        "ExtendedStatistic": "p95",
                        "Period": seconds,
                        "EvaluationPeriods": 1,
                        "Threshold": float(slo.latency_p95_ms) * 1000,  # ModelLatency: microseconds
                        "ComparisonOperator": "GreaterThanThreshold",
                        "TreatMissingData": "notBreaching",
                    }
                )
            composites.append(
                self._composite(
                    pair,
                    names,
                    f"{self.endpoint}/{variant}: p95 latency above {slo.latency_p95_ms:g} ms "
                    "over 1h and 5min (page)",
                )
            )
        return metric_alarms, composites

    def register(self, variant: str) -> None:
        """Create or update the variant's alarms; delete those the settings no longer want."""
        metric_alarms, composites = self.wanted(variant)
        for alarm in metric_alarms:
            self._call("put_metric_alarm", **alarm)
        for alarm in composites:
            self._call("put_composite_alarm", **alarm)
        keep = {a["AlarmName"] for a in [*metric_alarms, *composites]}
        self._delete(variant, keep)

    def deregister(self, variant: str) -> None:
        """Delete every alarm of the variant, whoever created them; absent is fine."""
        self._delete(variant, set())

    def existing(self, variant: str) -> tuple[list[str], list[str]]:
        """Names of the variant's metric alarms and composite alarms in CloudWatch."""
        metric, composite = [], []
        pages = self.client.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=alarm_prefix(self.endpoint, variant),
            AlarmTypes=["MetricAlarm", "CompositeAlarm"],
        )
        try:
            for page in pages:
                metric += [a["AlarmName"] for a in page.get("MetricAlarms", [])]
                composite += [a["AlarmName"] for a in page.get("CompositeAlarms", [])]
        except Exception as exc:
            raise self._error("describe_alarms", exc) from exc
        return metric, composite

    def _delete(self, variant: str, keep: set[str]) -> None:
        metric, composite = self.existing(variant)
        # Composites first: CloudWatch refuses to delete an alarm a composite's rule names.
        for names in (composite, metric):
            stale = [name for name in names if name not in keep]
            for start in range(0, len(stale), 100):  # DeleteAlarms takes at most 100 names
                self._call("delete_alarms", AlarmNames=stale[start : start + 100])

    def _dimensions(self, variant: str) -> list[dict[str, str]]:
        return [
            {"Name": "EndpointName", "Value": self.endpoint},
            {"Name": "VariantName", "Value": variant},
        ]

    def _error_alarm(
        self, name: str, variant: str, period: int, threshold: float
    ) -> dict[str, Any]:
        slo = self.slo
        assert slo is not None  # only called when there are objectives

        def stat(query_id: str, metric: str) -> dict[str, Any]:
            return {
                "Id": query_id,
                "MetricStat": {
                    "Metric": {
                        "Namespace": NAMESPACE,
                        "MetricName": metric,
                        "Dimensions": self._dimensions(variant),
                    },
                    "Period": period,
                    "Stat": "Sum",
                },
                "ReturnData": False,
            }

        return {
            "AlarmName": name,
            "Metrics": [
                stat("errors", "Invocation5XXErrors"),
                stat("requests", "Invocations"),
                {
                    "Id": "error_rate",
                    # Too few requests to judge: 0, as the local check ignores such windows.
                    "Expression": f"IF(requests >= {slo.min_requests}, errors / requests, 0)",
                    "Label": "error rate",
                    "ReturnData": True,
                },
            ],
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        }

    def _composite(self, name: str, parts: list[str], description: str) -> dict[str, Any]:
        slo = self.slo
        assert slo is not None
        return {
            "AlarmName": name,
            "AlarmRule": " AND ".join(f'ALARM("{part}")' for part in parts),
            "AlarmDescription": description,
            "ActionsEnabled": bool(slo.alarm_actions),
            "AlarmActions": list(slo.alarm_actions),
        }

    def _call(self, operation: str, **kwargs: Any) -> None:
        try:
            getattr(self.client, operation)(**kwargs)
        except Exception as exc:
            raise self._error(operation, exc) from exc


class VariantAttachments:
    """What comes and goes with a variant besides its model: its autoscaling target and its SLO
    alarms (the endpoint registers them after a variant is deployed, deregisters them before it
    is removed)."""

    def __init__(self, *parts: Any) -> None:
        self.parts = parts

    def register(self, variant: str) -> None:
        for part in self.parts:
            part.register(variant)

    def deregister(self, variant: str) -> None:
        for part in self.parts:
            part.deregister(variant)
