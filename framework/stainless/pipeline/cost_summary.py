"""Cost over a window: runs and endpoint-days (`stainless cost`), this month (`stainless status`),
one day (the daily digest posted to the team)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from stainless.backends.compute.instances import load_price_table
from stainless.backends.notify.background import flush_notifications
from stainless.pipeline.cost import NOTIONAL, RunCost, format_usd, run_cost, run_ids
from stainless.pipeline.endpoint_history import VariantDayCost, endpoint_costs, endpoint_history
from stainless.workspace import Workspace


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


DIGEST_FLUSH_S = 10.0


def cost_summary(project: Workspace, since_s: float, now: float | None = None) -> CostSummary:
    """Runs and endpoint-days of the last ``since_s`` seconds (what `stainless cost` shows)."""
    until = now if now is not None else time.time()
    return _summary(project, until - since_s, until)


def month_cost(project: Workspace, now: float | None = None) -> CostSummary:
    """This calendar month (UTC) so far."""
    until = now if now is not None else time.time()
    first = datetime.fromtimestamp(until, UTC).date().replace(day=1)
    return _summary(project, datetime.combine(first, datetime.min.time(), UTC).timestamp(), until)


def day_cost(project: Workspace, day: date) -> CostSummary:
    """One UTC day: what the daily digest reports."""
    start = datetime.combine(day, datetime.min.time(), UTC).timestamp()
    return _summary(project, start, start + 86400)


def _summary(project: Workspace, since: float, until: float) -> CostSummary:
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


def send_daily_digest(project: Workspace, day: date | None = None) -> CostSummary:
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
    # A digest is a one-shot command (cron, the demo): wait for the background queue to
    # deliver it rather than leave it to the 1 s flush at exit.
    flush_notifications(project.notifier, timeout_s=DIGEST_FLUSH_S)
    return summary
