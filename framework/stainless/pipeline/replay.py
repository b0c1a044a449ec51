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
