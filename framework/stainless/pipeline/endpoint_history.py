"""The endpoint's history, and what it cost per variant per day.

A SageMaker endpoint bills per instance-hour of every variant, and the instance count changes:
a rollout adds the candidate beside production and removes the loser, autoscaling changes
``CurrentInstanceCount``. :func:`record_endpoint` writes what runs, on what and how many, with a
timestamp, whenever the framework changes the endpoint or looks at it (which is when autoscaling
is seen); :func:`endpoint_costs` integrates that history per UTC day.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from stainless.backends.compute.instances import PriceTable, cheapest_instance, load_price_table
from stainless.backends.storage import ArtifactStore
from stainless.core.errors import StainlessError
from stainless.pipeline.cost import BILLABLE, NOTIONAL
from stainless.workspace import Workspace
from stainless.workspace.layout import ENDPOINT_HISTORY_PREFIX, endpoint_change_key

log = logging.getLogger("stainless.cost")


@dataclass(frozen=True)
class VariantCapacity:
    name: str
    version: int
    instance_type: str | None
    instance_count: int
    weight: float


@dataclass(frozen=True)
class EndpointChange:
    at: float  # unix seconds
    reason: str
    variants: tuple[VariantCapacity, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "reason": self.reason,
            "variants": [asdict(v) for v in self.variants],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EndpointChange:
        return cls(
            float(data["at"]),
            str(data.get("reason", "")),
            tuple(VariantCapacity(**v) for v in data.get("variants", [])),
        )


@dataclass(frozen=True)
class VariantDayCost:
    day: str  # ISO date, UTC
    variant: str
    version: int
    instance_type: str | None
    instance_hours: float
    hourly_usd: float | None
    usd: float | None
    basis: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def record_endpoint(
    project: Workspace, reason: str, now: float | None = None
) -> EndpointChange | None:
    """Record what the endpoint runs on now, if it differs from the last record. Called after
    every change the framework makes and whenever it looks (ticks), which also catches
    autoscaling. Never fails the caller: a missed record only makes a cost figure coarser."""
    try:
        status = project.endpoint.status()
        variants = tuple(
            VariantCapacity(v.name, v.version, v.instance_type, v.instance_count, v.weight)
            for v in (status.variants if status.running or status.variants else [])
        )
        history = endpoint_history(project.store)
        if history and _capacity(history[-1]) == _capacity_of(variants):
            return None
        change = EndpointChange(now if now is not None else time.time(), reason, variants)
        project.store.put_bytes(
            endpoint_change_key(int(change.at * 1000)), json.dumps(change.to_dict()).encode()
        )
        return change
    except Exception:
        log.exception("could not record the endpoint's capacity (%s)", reason)
        return None


def _capacity(change: EndpointChange) -> set[tuple[Any, ...]]:
    return _capacity_of(change.variants)


def _capacity_of(variants: Iterable[VariantCapacity]) -> set[tuple[Any, ...]]:
    # Weights do not change the cost; only what runs, on what, how many.
    return {(v.name, v.version, v.instance_type, v.instance_count) for v in variants}


def endpoint_history(store: ArtifactStore) -> list[EndpointChange]:
    keys = sorted(k for k in store.list(ENDPOINT_HISTORY_PREFIX) if k.endswith(".json"))
    return [EndpointChange.from_dict(json.loads(store.get_bytes(k))) for k in keys]


def endpoint_costs(
    history: list[EndpointChange],
    since: float,
    until: float,
    *,
    serve_cpus: float,
    serve_memory_gb: float,
    table: PriceTable | None = None,
) -> list[VariantDayCost]:
    """Instance-hours and cost per variant per UTC day between ``since`` and ``until``: each
    recorded state lasts until the next record (the last one until ``until``)."""
    table = table or load_price_table()
    hours: dict[tuple[str, str, int, str | None, str], float] = {}
    for index, change in enumerate(history):
        start = max(change.at, since)
        end = min(history[index + 1].at if index + 1 < len(history) else until, until)
        if end <= start:
            continue
        for variant in change.variants:
            instance, basis = variant.instance_type, BILLABLE
            if instance is None:
                instance, basis = _notional_serving(serve_cpus, serve_memory_gb, table), NOTIONAL
            for day, seconds in _split_by_day(start, end):
                key = (day, variant.name, variant.version, instance, basis)
                hours[key] = hours.get(key, 0.0) + seconds / 3600 * variant.instance_count
    rows = []
    for (day, name, version, instance, basis), instance_hours in sorted(hours.items()):
        known = table.get(instance) if instance else None
        hourly = known.price("endpoint") if known else None
        rows.append(
            VariantDayCost(
                day,
                name,
                version,
                instance,
                round(instance_hours, 4),
                hourly,
                None if hourly is None else round(hourly * instance_hours, 8),
                basis,
            )
        )
    return rows


def _notional_serving(cpus: float, memory_gb: float, table: PriceTable) -> str | None:
    try:
        return cheapest_instance(cpus, memory_gb, "endpoint", table=table).name
    except StainlessError:
        return None


def _split_by_day(start: float, end: float) -> list[tuple[str, float]]:
    parts = []
    cursor = start
    while cursor < end:
        day = datetime.fromtimestamp(cursor, UTC).date()
        midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC).timestamp()
        stop = min(end, midnight)
        parts.append((day.isoformat(), stop - cursor))
        cursor = stop
    return parts


def stop_endpoint(project: Workspace) -> None:
    """Stop the model's endpoint and record that it no longer costs anything."""
    project.endpoint.down()
    record_endpoint(project, "endpoint stopped")
