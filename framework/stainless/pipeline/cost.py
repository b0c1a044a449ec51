"""What a model costs: per stage of a run, per run, and per endpoint variant per day.

- A stage on SageMaker costs its instance type's price x the job's billable seconds (what AWS
  bills). A local stage has no bill: it is priced *notionally* as its wall time on the cheapest
  SageMaker type fitting the stage's resources, and every figure says so (``basis``).
- An endpoint costs, per variant, instance type x instance count x hours. The counts change
  (rollouts add and remove variants, autoscaling adds instances), so every change the framework
  sees is recorded with its time (``endpoint_history``), and a day's cost integrates that
  history. Local variants are priced notionally from ``resources.serve``.

Every figure carries the price table's label (region and date), so an old bundled table or a
region mismatch is visible, never silent. Endpoint history: ``endpoint_history``; windows,
months, days and the daily digest: ``cost_summary``.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from stainless.backends.compute import JobResult
from stainless.backends.compute.instances import PriceTable, cheapest_instance, load_price_table
from stainless.backends.storage import ArtifactStore
from stainless.core.errors import StainlessError
from stainless.workspace import Workspace
from stainless.workspace.layout import (
    RUNS,
    run_id_of,
    stage_cost_key,
    stage_cost_prefix,
)

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
        def number(key: str) -> float | None:
            value = data.get(key)
            return None if value is None else float(value)

        return cls(
            run_id=str(data["run_id"]),
            stage=str(data["stage"]),
            seconds=float(data.get("seconds") or 0.0),
            instance_type=data.get("instance_type"),
            hourly_usd=number("hourly_usd"),
            usd=number("usd"),
            basis=str(data.get("basis", NOTIONAL)),
            prices=str(data.get("prices", "")),
            recorded_at=str(data.get("recorded_at", "")),
        )


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


def estimate_in_stage(project: Workspace, run_id: str, stage: str, seconds: float) -> StageCost:
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


def record_job_cost(project: Workspace, run_id: str, stage: str, result: JobResult) -> StageCost:
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
    stages = [
        StageCost.from_dict(json.loads(store.get_bytes(key)))
        for key in store.list(stage_cost_prefix(run_id))
        if key.endswith(".json")
    ]
    # Lifecycle order, not time: stages of one run can finish within the same second.
    return RunCost(run_id, tuple(sorted(stages, key=lambda s: _ORDER.get(s.stage, len(_ORDER)))))


_ORDER = {stage: index for index, stage in enumerate(("preprocess", "train", "evaluate", "decide"))}


def run_ids(store: ArtifactStore) -> list[str]:
    """Every run with recorded costs, oldest first (run ids sort by time)."""
    found = set()
    for key in store.list(RUNS):
        run_id = run_id_of(key)
        if run_id is not None and key.startswith(stage_cost_prefix(run_id)):
            found.add(run_id)
    return sorted(found)


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
