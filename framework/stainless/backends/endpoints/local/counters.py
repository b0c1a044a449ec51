"""Durable per-variant traffic counters, bucketed by second, with a latency histogram per bucket.

The router counts in memory (:class:`CounterBuffer`) and flushes to SQLite (:class:`CounterStore`)
at least once a second, so the rollout controller (another process) sees live numbers and a
restarted router keeps the history. A ``kill -9`` of the router loses at most the counts of the
last flush interval. Latency percentiles come from a fixed log-spaced histogram (about 10%
resolution), so no sample is stored.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from stainless.backends.endpoints import VariantCounters
from stainless.core.sqlite import connect, transaction

OK, CLIENT_ERROR, MODEL_ERROR = "ok", "client_error", "model_error"

# Histogram bucket i holds latencies in [BASE * GROWTH**(i-1), BASE * GROWTH**i) milliseconds;
# bucket 0 everything below BASE, the last everything above ~2 minutes.
_BASE_MS = 0.1
_GROWTH = 1.2
_BUCKETS = 80


def classify(status: int, origin: str | None) -> str:
    """Whose fault a response is. The model server says so in ``X-Stainless-Error-Origin``
    (client / model / response); without it, 4xx is the caller's and 5xx the model's."""
    if status < 400:
        return OK
    if origin is None:
        origin = "client" if status < 500 else "model"
    return CLIENT_ERROR if origin == "client" else MODEL_ERROR


def latency_bucket(latency_ms: float) -> int:
    if latency_ms < _BASE_MS:
        return 0
    return min(_BUCKETS - 1, 1 + int(math.log(latency_ms / _BASE_MS, _GROWTH)))


def _bucket_value_ms(index: int) -> float:
    """A representative latency for a bucket: the geometric middle of its bounds."""
    if index == 0:
        return _BASE_MS
    return _BASE_MS * _GROWTH ** (index - 0.5)


@dataclass
class Tally:
    requests: int = 0
    ok: int = 0
    client_errors: int = 0
    model_errors: int = 0
    latency: dict[int, int] = field(default_factory=dict)  # histogram bucket -> count

    def add(self, outcome: str, latency_ms: float | None) -> None:
        self.requests += 1
        if outcome == OK:
            self.ok += 1
        elif outcome == CLIENT_ERROR:
            self.client_errors += 1
        else:
            self.model_errors += 1
        if latency_ms is not None:
            index = latency_bucket(latency_ms)
            self.latency[index] = self.latency.get(index, 0) + 1

    def merge(self, other: Tally) -> None:
        self.requests += other.requests
        self.ok += other.ok
        self.client_errors += other.client_errors
        self.model_errors += other.model_errors
        for index, count in other.latency.items():
            self.latency[index] = self.latency.get(index, 0) + count

    def percentile_ms(self, q: float) -> float | None:
        total = sum(self.latency.values())
        if total == 0:
            return None
        rank = max(1, math.ceil(q * total))
        seen = 0
        for index in sorted(self.latency):
            seen += self.latency[index]
            if seen >= rank:
                return round(_bucket_value_ms(index), 3)
        return None  # unreachable: the loop always reaches total

    def to_counters(self) -> VariantCounters:
        return VariantCounters(
            requests=self.requests,
            ok=self.ok,
            client_errors=self.client_errors,
            model_errors=self.model_errors,
            latency_p50_ms=self.percentile_ms(0.50),
            latency_p95_ms=self.percentile_ms(0.95),
            latency_p99_ms=self.percentile_ms(0.99),
        )


class CounterBuffer:
    """In-memory counts since the last flush, keyed by (variant, second). Single-threaded use
    (the router's event loop); ``drain`` hands the batch over and starts a new one."""

    def __init__(self) -> None:
        self._pending: dict[tuple[str, int], Tally] = {}

    def record(
        self, variant: str, outcome: str, latency_ms: float | None, at: float | None = None
    ) -> None:
        key = (variant, int(at if at is not None else time.time()))
        tally = self._pending.get(key)
        if tally is None:
            tally = self._pending[key] = Tally()
        tally.add(outcome, latency_ms)

    def drain(self) -> dict[tuple[str, int], Tally]:
        pending, self._pending = self._pending, {}
        return pending

    def restore(self, batch: dict[tuple[str, int], Tally]) -> None:
        """Put back a batch whose flush failed, so it is retried with the next one."""
        for key, tally in batch.items():
            self._pending.setdefault(key, Tally()).merge(tally)


class CounterStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, batch: dict[tuple[str, int], Tally]) -> None:
        if not batch:
            return
        with transaction(self.path) as conn:
            for (variant, second), tally in batch.items():
                row = conn.execute(
                    "SELECT requests, ok, client_errors, model_errors, latency FROM counters"
                    " WHERE variant = ? AND second = ?",
                    (variant, second),
                ).fetchone()
                merged = Tally()
                if row is not None:
                    merged = _tally(row)
                merged.merge(tally)
                conn.execute(
                    "INSERT OR REPLACE INTO counters (variant, second, requests, ok,"
                    " client_errors, model_errors, latency) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        variant,
                        second,
                        merged.requests,
                        merged.ok,
                        merged.client_errors,
                        merged.model_errors,
                        json.dumps(merged.latency),
                    ),
                )

    def read(
        self, since: float | None = None, variants: Iterable[str] = ()
    ) -> dict[str, VariantCounters]:
        """Totals per variant over the buckets from the second containing ``since``; every name
        in ``variants`` appears, with zeros when it had no traffic."""
        totals: dict[str, Tally] = {name: Tally() for name in variants}
        first = int(since) if since is not None else -1
        with connect(self.path) as conn:
            rows = conn.execute(
                "SELECT variant, requests, ok, client_errors, model_errors, latency FROM counters"
                " WHERE second >= ?",
                (first,),
            ).fetchall()
        for row in rows:
            totals.setdefault(row["variant"], Tally()).merge(_tally(row))
        return {name: tally.to_counters() for name, tally in sorted(totals.items())}

    def prune(self, older_than: float) -> None:
        with transaction(self.path) as conn:
            conn.execute("DELETE FROM counters WHERE second < ?", (int(older_than),))


def _tally(row: sqlite3.Row) -> Tally:
    return Tally(
        requests=row["requests"],
        ok=row["ok"],
        client_errors=row["client_errors"],
        model_errors=row["model_errors"],
        latency={int(k): v for k, v in json.loads(row["latency"]).items()},
    )
