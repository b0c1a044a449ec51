"""What a model costs: per stage of a run, per run, and per endpoint variant per day.

- A stage on SageMaker costs its instance type's price x the job's billable seconds (what AWS
  bills). A local stage has no bill: it is priced *notionally* as its wall time on the cheapest
  SageMaker type fitting the stage's resources, and every figure says so (``basis``).
- An endpoint costs, per variant, instance type x instance count x hours. The counts change
  (rollouts add and remove variants, autoscaling adds instances), so every change the framework
  sees is recorded with its time (:func:`record_endpoint`), and a day's cost integrates that
  history. Local variants are priced notionally from ``resources.serve``.

Every figure carries the price table's label (region and date), so an old bundled table or a
region mismatch is visible, never silent.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from stainless.backends.compute import JobResult
from stainless.backends.compute.instances import PriceTable, cheapest_instance, load_price_table
from stainless.backends.storage import ArtifactStore
from stainless.core.errors import StainlessError
from stainless.pipeline.layout import (
    ENDPOINT_HISTORY_PREFIX,
    endpoint_change_key,
    run_prefix,
    stage_cost_key,
)
from stainless.pipeline.project import Project

log = logging.getLogger("stainless.cost")

BILLABLE = "billable"  # SageMaker's billable seconds x the instance's price
NOTIONAL = "notional"  # local wall time x the price of the cheapest fitting SageMaker type
ESTIMATED = "estimated"  # inside a job, before the bill: wall time x the job's instance price
# Set on SageMaker jobs by whoever starts them, so the stage can price its own time.
INSTANCE_TYPE_ENV = "STAINLESS_INSTANCE_TYPE"


def job_kind(stage: str) -> str:
    return "training" if stage == "train" else "processing"


def resources_block(stage: str) -> str:
    """Which ``resources`` block of model.yaml bounds a stage (evaluate and decide run with
    preprocess's)."""
    return "train" if stage == "train" else "preprocess"


@dataclass(frozen=True)
class StageCost:
    run_id: str
    stage: str
    seconds: float
    instance_type: str | None
    hourly_usd: float | None
    usd: float | None  # None when the instance type has no known price
    basis: str  # BILLABLE | NOTIONAL
    prices: str  # the price table's label: region, date, source
    recorded_at: str

    @property
    def notional(self) -> bool:
        return self.basis == NOTIONAL

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageCost:
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class RunCost:
    run_id: str
    stages: tuple[StageCost, ...]

    @property
    def usd(self) -> float | None:
        known = [s.usd for s in self.stages if s.usd is not None]
        return round(sum(known), 8) if known else None

    @property
    def notional(self) -> bool:
        return any(s.notional for s in self.stages)

    @property
    def recorded_at(self) -> str:
        return max((s.recorded_at for s in self.stages), default="")

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "usd": self.usd,
            "notional": self.notional,
            "stages": [s.to_dict() for s in self.stages],
        }


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


@dataclass(frozen=True)
class CostSummary:
    model: str
    since: str
    until: str
    prices: str
    runs: tuple[RunCost, ...]
    endpoint_days: tuple[VariantDayCost, ...] = field(default_factory=tuple)

    @property
    def runs_usd(self) -> float:
        return round(sum(r.usd or 0.0 for r in self.runs), 8)

    @property
    def endpoint_usd(self) -> float:
        return round(sum(d.usd or 0.0 for d in self.endpoint_days), 8)

    @property
    def usd(self) -> float:
        return round(self.runs_usd + self.endpoint_usd, 8)

    @property
    def notional(self) -> bool:
        return any(r.notional for r in self.runs) or any(
            d.basis == NOTIONAL for d in self.endpoint_days
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "since": self.since,
            "until": self.until,
            "prices": self.prices,
            "usd": self.usd,
            "runs_usd": self.runs_usd,
            "endpoint_usd": self.endpoint_usd,
            "notional": self.notional,
            "runs": [r.to_dict() for r in self.runs],
            "endpoint_days": [d.to_dict() for d in self.endpoint_days],
        }


# -- stages and runs ------------------------------------------------------------------------------
def stage_cost(
    run_id: str,
    stage: str,
    result: JobResult,
    *,
    cpus: float,
    memory_gb: float,
    kind: str,
    table: PriceTable | None = None,
) -> StageCost:
    """The cost of one finished job: billable when the backend reported the billable time, an
    estimate from our own wall clock when it only said the instance type, else notional."""
    table = table or load_price_table()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if result.instance_type:
        known = table.get(result.instance_type)
        hourly = known.price(kind) if known else None
        billed = result.billable_s is not None
        seconds = result.billable_s if billed else result.duration_s
        return StageCost(
            run_id,
            stage,
            round(float(seconds or 0.0), 3),
            result.instance_type,
            hourly,
            None if hourly is None else round(hourly * float(seconds or 0.0) / 3600, 8),
            BILLABLE if billed else ESTIMATED,
            table.label,
            now,
        )
    return notional_stage_cost(run_id, stage, result.duration_s, cpus, memory_gb, kind, table)


def notional_stage_cost(
    run_id: str,
    stage: str,
    seconds: float,
    cpus: float,
    memory_gb: float,
    kind: str,
    table: PriceTable | None = None,
) -> StageCost:
    table = table or load_price_table()
    try:
        like = cheapest_instance(cpus, memory_gb, kind, table=table)
    except StainlessError:  # more than any SageMaker type: no price, but the time still counts
        like = None
    hourly = like.price(kind) if like else None
    return StageCost(
        run_id,
        stage,
        round(seconds, 3),
        like.name if like else None,
        hourly,
        None if hourly is None else round(hourly * seconds / 3600, 8),
        NOTIONAL,
        table.label,
        datetime.now(UTC).isoformat(timespec="seconds"),
    )


def estimate_in_stage(project: Project, run_id: str, stage: str, seconds: float) -> StageCost:
    """What ``seconds`` of this stage cost, as the stage itself can tell: on the job's instance
    type when it runs on SageMaker (``STAINLESS_INSTANCE_TYPE``), else notionally."""
    table = load_price_table()
    kind = job_kind(stage)
    instance = os.environ.get(INSTANCE_TYPE_ENV)
    known = table.get(instance) if instance else None
    if known is not None:
        hourly = known.price(kind)
        return StageCost(
            run_id,
            stage,
            round(seconds, 3),
            known.name,
            hourly,
            round(hourly * seconds / 3600, 8),
            ESTIMATED,
            table.label,
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
    resources = project.config.resources_for(resources_block(stage))
    return notional_stage_cost(
        run_id,
        stage,
        seconds,
        float(resources["cpus"]),
        float(resources["memory_gb"]),
        kind,
        table,
    )


def record_job_cost(project: Project, run_id: str, stage: str, result: JobResult) -> StageCost:
    """Price a finished stage job (billable on SageMaker, notional locally) and store it with
    the run. Never fails the stage: a cost that cannot be recorded is logged."""
    resources = project.config.resources_for(resources_block(stage))
    cost = stage_cost(
        run_id,
        stage,
        result,
        cpus=float(resources["cpus"]),
        memory_gb=float(resources["memory_gb"]),
        kind=job_kind(stage),
    )
    try:
        return record_stage_cost(project.store, cost)
    except Exception:
        log.exception("could not record the cost of %s for run %s", stage, run_id)
        return cost


def record_stage_cost(store: ArtifactStore, cost: StageCost) -> StageCost:
    store.put_bytes(
        stage_cost_key(cost.run_id, cost.stage), json.dumps(cost.to_dict(), indent=1).encode()
    )
    return cost


def run_cost(store: ArtifactStore, run_id: str) -> RunCost:
    prefix = f"{run_prefix(run_id)}/cost/"
    stages = []
    for key in sorted(store.list(prefix)):
        if key.endswith(".json"):
            stages.append(StageCost.from_dict(json.loads(store.get_bytes(key))))
    order = ("preprocess", "train", "evaluate", "decide")
    return RunCost(
        run_id,
        tuple(
            sorted(
                stages,
                key=lambda s: (s.recorded_at[:16], order.index(s.stage) if s.stage in order else 9),
            )
        ),
    )


def run_ids(store: ArtifactStore) -> list[str]:
    """Every run with recorded costs, oldest first."""
    found = {key.split("/")[1] for key in store.list("runs/") if "/cost/" in key}
    return sorted(found)


# -- endpoints ------------------------------------------------------------------------------------
def record_endpoint(
    project: Project, reason: str, now: float | None = None
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


# -- summaries ------------------------------------------------------------------------------------
def cost_summary(project: Project, since_s: float, now: float | None = None) -> CostSummary:
    """Runs and endpoint-days of the last ``since_s`` seconds (what `stainless cost` shows)."""
    until = now if now is not None else time.time()
    return _summary(project, until - since_s, until)


def month_cost(project: Project, now: float | None = None) -> CostSummary:
    """This calendar month (UTC) so far."""
    until = now if now is not None else time.time()
    first = datetime.fromtimestamp(until, UTC).date().replace(day=1)
    return _summary(project, datetime.combine(first, datetime.min.time(), UTC).timestamp(), until)


def day_cost(project: Project, day: date) -> CostSummary:
    """One UTC day: what the daily digest reports."""
    start = datetime.combine(day, datetime.min.time(), UTC).timestamp()
    return _summary(project, start, start + 86400)


def _summary(project: Project, since: float, until: float) -> CostSummary:
    table = load_price_table()
    store = project.store
    runs = []
    for run_id in run_ids(store):
        cost = run_cost(store, run_id)
        stamp = _timestamp(cost.recorded_at)
        if cost.stages and since <= stamp <= until:
            runs.append(cost)
    serve = project.config.resources_for("serve")
    days = endpoint_costs(
        endpoint_history(store),
        since,
        until,
        serve_cpus=float(serve["cpus"]),
        serve_memory_gb=float(serve["memory_gb"]),
        table=table,
    )
    return CostSummary(
        project.name,
        _iso(since),
        _iso(until),
        table.label,
        tuple(runs),
        tuple(days),
    )


def _timestamp(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


def _iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="seconds")


def format_usd(usd: float | None, notional: bool = False) -> str:
    """``$12.30``, ``$0.0123``, ``$0.000016``: small amounts keep their digits; ``notional``
    flagged."""
    if usd is None:
        return "—"
    if usd >= 1:
        text = f"${usd:,.2f}"
    elif usd >= 0.01 or usd == 0:
        text = f"${usd:.4f}"
    elif usd >= 0.000001:  # a few seconds of a local stage: keep its digits visible
        text = f"${usd:.6f}"
    else:
        text = "<$0.000001"
    return f"{text} (notional)" if notional else text


def send_daily_digest(project: Project, day: date | None = None) -> CostSummary:
    """Post one day's cost (yesterday's by default) to the team: runs, endpoint, per variant."""
    day = day or (datetime.now(UTC).date() - timedelta(days=1))
    summary = day_cost(project, day)
    variants = [
        f"{d.variant} (v{d.version}): {d.instance_hours:g} instance-h of "
        f"{d.instance_type or '?'} = {format_usd(d.usd, d.basis == NOTIONAL)}"
        for d in summary.endpoint_days
    ]
    project.notify(
        "digest",
        f"Cost on {day.isoformat()}: {format_usd(summary.usd, summary.notional)}",
        fields={
            "runs": len(summary.runs),
            "runs cost": format_usd(summary.runs_usd, any(r.notional for r in summary.runs)),
            "endpoint cost": format_usd(
                summary.endpoint_usd, any(d.basis == NOTIONAL for d in summary.endpoint_days)
            ),
            "endpoint variants": "\n".join(variants) if variants else None,
            "prices": summary.prices,
        },
    )
    return summary


def stop_endpoint(project: Project) -> None:
    """Stop the model's endpoint and record that it no longer costs anything."""
    project.endpoint.down()
    record_endpoint(project, "endpoint stopped")
