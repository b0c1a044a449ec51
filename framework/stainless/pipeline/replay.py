"""Replay requests against an endpoint at a fixed rate, bounded in count and time.

For demos and tests: the rollout demo calls :func:`drive` in-process to give the canary
controller live traffic; ``stainless traffic`` calls :func:`replay_run` (a run's split as
requests). A fraction of requests can be made
invalid on purpose, to show that client errors are not blamed on the model.
"""

from __future__ import annotations

import json
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import httpx

from stainless.backends.endpoints.local.counters import MODEL_ERROR, Tally, classify
from stainless.core.errors import StageError, StainlessError
from stainless.workspace import Workspace
from stainless.workspace.layout import dataset_key, latest_run_having

ORIGIN_HEADER = "x-stainless-error-origin"
INVOKED_VARIANT = "x-amzn-invoked-production-variant"
NO_VARIANT = "(none)"  # answers that did not say which variant served them (e.g. refused)


@dataclass
class TrafficSummary:
    sent: int = 0
    invalid_sent: int = 0
    duration_s: float = 0.0
    # The same tallies (and latency histogram) as the endpoint's own counters.
    variants: dict[str, Tally] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "invalid_sent": self.invalid_sent,
            "duration_s": round(self.duration_s, 3),
            "variants": {
                name: stats.to_counters().to_dict() for name, stats in sorted(self.variants.items())
            },
        }


def invalidate(request: Any) -> Any:
    """A request no typed schema accepts: every field's value replaced by an object."""
    if isinstance(request, dict) and request:
        return {key: {"invalid": True} for key in request}
    return {"invalid": True}


def drive(
    url: str,
    requests: list[Any],
    rate: float = 10.0,
    duration: float = 10.0,
    *,
    max_requests: int | None = None,
    invalid_fraction: float = 0.0,
    endpoint_name: str | None = None,
    target_variant: str | None = None,
    concurrency: int = 16,
    timeout_s: float = 30.0,
    seed: int | None = None,
) -> TrafficSummary:
    """Send ``requests`` (cycled) to ``url`` at ``rate`` per second for ``duration`` seconds or
    ``max_requests`` requests, whichever ends first; waits for the answers and summarises them
    per variant (from ``X-Amzn-Invoked-Production-Variant``).

    With ``endpoint_name`` it uses the SageMaker path ``/endpoints/{name}/invocations``, else the
    plain ``/invocations``.
    """
    if not requests:
        raise ValueError("no requests to send")
    if rate <= 0 or duration <= 0:
        raise ValueError("rate and duration must be positive")
    if not 0.0 <= invalid_fraction <= 1.0:
        raise ValueError("invalid_fraction must be between 0 and 1")
    path = f"/endpoints/{endpoint_name}/invocations" if endpoint_name else "/invocations"
    target = url.rstrip("/") + path
    headers = {"content-type": "application/json"}
    if target_variant:
        headers["x-amzn-sagemaker-target-variant"] = target_variant
    chooser = random.Random(seed)
    limit = max_requests if max_requests is not None else int(rate * duration) + 1
    summary = TrafficSummary()
    lock = threading.Lock()

    def send(client: httpx.Client, body: bytes) -> None:
        started = time.perf_counter()
        try:
            answer = client.post(target, content=body, headers=headers)
        except httpx.HTTPError:
            variant, outcome = NO_VARIANT, MODEL_ERROR
        else:
            variant = answer.headers.get(INVOKED_VARIANT, NO_VARIANT)
            outcome = classify(_original_status(answer), answer.headers.get(ORIGIN_HEADER))
        latency_ms = (time.perf_counter() - started) * 1000
        with lock:
            summary.variants.setdefault(variant, Tally()).add(outcome, latency_ms)

    started = time.monotonic()
    limits = httpx.Limits(max_connections=concurrency)
    with (
        httpx.Client(timeout=timeout_s, limits=limits) as client,
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="traffic") as pool,
    ):
        futures = []
        while summary.sent < limit:
            due = started + summary.sent / rate
            now = time.monotonic()
            if due - started >= duration:
                break
            if due > now:
                time.sleep(due - now)
            request = requests[summary.sent % len(requests)]
            if invalid_fraction and chooser.random() < invalid_fraction:
                request = invalidate(request)
                summary.invalid_sent += 1
            futures.append(pool.submit(send, client, json.dumps(request).encode()))
            summary.sent += 1
        wait(futures)
    summary.duration_s = time.monotonic() - started
    return summary


def _original_status(answer: httpx.Response) -> int:
    """The model's status: SageMaker wraps a failing model's answer in a 424 ModelError."""
    if answer.status_code == 424:
        try:
            return int(answer.json()["OriginalStatusCode"])
        except (ValueError, KeyError, TypeError):
            return 500
    return answer.status_code


@dataclass(frozen=True)
class Shift:
    """A change applied to one field of every replayed request (``stainless traffic --shift``).

    ``feature=+2sd`` adds 2 standard deviations (of the replayed rows), ``feature=*1.5`` scales,
    ``feature=+3`` adds a constant, ``feature=null`` sets nulls, anything else sets that value.
    """

    feature: str
    op: str  # add_sd | scale | add | set
    value: Any

    @classmethod
    def parse(cls, text: str) -> Shift:
        feature, sep, spec = text.partition("=")
        if not sep or not feature or not spec:
            raise ValueError(f"--shift {text!r}: expected FEATURE=+2sd, FEATURE=*1.5 or FEATURE=V")
        spec = spec.strip()
        try:
            if spec.endswith("sd") and spec[0] in "+-":
                return cls(feature, "add_sd", float(spec[:-2]))
            if spec.startswith("*"):
                return cls(feature, "scale", float(spec[1:]))
            if spec[0] in "+-":
                return cls(feature, "add", float(spec))
        except ValueError:
            raise ValueError(f"--shift {text!r}: {spec!r} is not a number") from None
        return cls(feature, "set", None if spec == "null" else spec)


def shift_requests(requests: list[Any], shifts: list[Shift]) -> list[Any]:
    """Copies of ``requests`` with ``shifts`` applied (numbers stay numbers; integer fields are
    rounded so the request schema still accepts them)."""
    out = [dict(r) if isinstance(r, dict) else r for r in requests]
    for change in shifts:
        values = [r.get(change.feature) for r in out if isinstance(r, dict)]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if change.op != "set" and not numbers:
            raise ValueError(f"--shift {change.feature}: no numeric values of that field to shift")
        mean = sum(numbers) / len(numbers) if numbers else 0.0
        sd = (sum((v - mean) ** 2 for v in numbers) / max(len(numbers) - 1, 1)) ** 0.5
        integers = numbers and all(isinstance(v, int) for v in numbers)
        for request in out:
            if not isinstance(request, dict) or change.feature not in request:
                continue
            value = request[change.feature]
            if change.op == "set":
                request[change.feature] = change.value
                continue
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            if change.op == "add_sd":
                value = value + change.value * sd
            elif change.op == "scale":
                value = mean + (value - mean) * change.value
            else:
                value = value + change.value
            request[change.feature] = round(value) if integers else value
    return out


@dataclass
class Replay:
    """What :func:`replay_run` sent: which run's rows, to which endpoint, and the tallies."""

    endpoint: str
    run_id: str
    split: str
    summary: TrafficSummary

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "run_id": self.run_id,
            "split": self.split,
            **self.summary.to_dict(),
        }


def latest_run_with(workspace: Workspace, split: str) -> str:
    """The newest run whose ``split`` dataset is in the store."""
    found = latest_run_having(workspace.store, lambda run_id: dataset_key(run_id, split))
    if found is None:
        raise StageError(
            f"no run of {workspace.name} has a {split} split in the store",
            fix="run `stainless run` (or `stainless preprocess`) first",
        )
    return found


def replay_run(
    workspace: Workspace,
    *,
    endpoint_name: str | None = None,
    split: str = "validation",
    run_id: str | None = None,
    rate: float = 20.0,
    duration: float = 10.0,
    max_requests: int | None = None,
    invalid_fraction: float = 0.0,
    target_variant: str | None = None,
    seed: int | None = None,
    shifts: tuple[str, ...] | list[str] = (),
) -> Replay:
    """Send a run's ``split`` rows (default: the newest run's) as requests to the endpoint."""
    from stainless.pipeline.stages.evaluate import rows_as_requests
    from stainless.pipeline.stages.preprocess import load_split

    run_id = run_id or latest_run_with(workspace, split)
    if not workspace.store.exists(dataset_key(run_id, split)):
        raise StageError(
            f"run {run_id} has no {split} split in the store",
            fix="pick another run with --run-id (see the store's runs/ folder)",
        )
    requests = rows_as_requests(load_split(workspace, run_id, split), workspace.config.target)
    if shifts:
        try:
            requests = shift_requests(requests, [Shift.parse(text) for text in shifts])
        except ValueError as exc:
            raise StainlessError(str(exc), fix="e.g. --shift area_sqm=+2sd") from None
    target = workspace.endpoint_named(endpoint_name)
    name = endpoint_name or workspace.name
    if not target.status().running:
        raise StainlessError(
            f"endpoint {name} is not running",
            fix=f"start it with `stainless endpoint up -C {workspace.dir}`",
        )
    summary = drive(
        target.url,
        requests,
        rate,
        duration,
        max_requests=max_requests,
        invalid_fraction=invalid_fraction,
        endpoint_name=name,
        target_variant=target_variant,
        seed=seed,
    )
    return Replay(name, run_id, split, summary)
