"""Data capture: a sample of request/response pairs, written as JSON Lines to the artifact store.

Requests only ever do a ``put_nowait`` on a bounded queue; a background thread batches records
into files. A full queue drops records (counted) instead of slowing or blocking requests, and a
store outage costs records, never availability.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from stainless.backends.storage import ArtifactStore

log = logging.getLogger("stainless.serving.capture")

MAX_RECORDS_PER_FILE = 1000
_STOP = object()


def capture_prefix(model: str, version: str | None) -> str:
    return f"capture/{model}/{version or 'unknown'}"


class DataCapture:
    def __init__(
        self,
        store: ArtifactStore,
        prefix: str,
        sample_rate: float,
        max_queue: int,
        flush_seconds: float,
        count: Callable[[str, int], None] = lambda outcome, n: None,
    ) -> None:
        self.store = store
        self.prefix = prefix
        self.sample_rate = sample_rate
        self.flush_seconds = flush_seconds
        self._count = count
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._random = random.random

    def offer(self, request: Any, response: Any, kind: str) -> None:
        """Maybe record one pair; never blocks, never raises."""
        if self._random() >= self.sample_rate:
            return
        if self._thread is None:
            self.start()
        try:
            self._queue.put_nowait((time.time(), kind, request, response))
        except queue.Full:
            self._count("dropped", 1)
        else:
            self._count("queued", 1)

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="stainless-capture", daemon=True
                )
                self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the writer (the server's shutdown calls this)."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is None:
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._queue.put(_STOP, timeout=max(deadline - time.monotonic(), 0.01))
                break
            except queue.Full:
                if time.monotonic() >= deadline:
                    log.warning("data capture: queue still full at shutdown; records lost")
                    return
        thread.join(max(deadline - time.monotonic(), 0.01))

    def _run(self) -> None:
        pending: list[Any] = []
        first_at = 0.0
        while True:
            wait = self.flush_seconds - (time.monotonic() - first_at) if pending else None
            try:
                item = self._queue.get(timeout=max(wait, 0.0) if wait is not None else None)
            except queue.Empty:
                item = None
            if item is _STOP:
                self._write(pending)
                return
            if item is not None:
                if not pending:
                    first_at = time.monotonic()
                pending.append(item)
            due = pending and time.monotonic() - first_at >= self.flush_seconds
            if len(pending) >= MAX_RECORDS_PER_FILE or due:
                self._write(pending)
                pending = []

    def _write(self, records: list[Any]) -> None:
        if not records:
            return
        try:
            lines = b"".join(_line(record) for record in records)
            day = datetime.fromtimestamp(records[0][0], UTC).strftime("%Y-%m-%d")
            key = f"{self.prefix}/{day}/{uuid.uuid4().hex}.jsonl"
            self.store.put_bytes(key, lines)
        except Exception:
            log.exception("data capture: could not write %d record(s)", len(records))
            self._count("failed", len(records))
        else:
            self._count("written", len(records))


def _line(record: tuple[float, str, Any, Any]) -> bytes:
    at, kind, request, response = record
    captured_at = datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")
    document = {"captured_at": captured_at, "kind": kind, "request": request, "response": response}
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
