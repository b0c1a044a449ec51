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

from stainless.backends.storage import ArtifactStore
from stainless.serving.records import CapturedRecord, capture_prefix, redact, to_line

log = logging.getLogger("stainless.serving.capture")

MAX_RECORDS_PER_FILE = 1000
_STOP = object()


__all__ = ["DataCapture", "capture_prefix"]


class DataCapture:
    def __init__(
        self,
        store: ArtifactStore,
        prefix: str,
        sample_rate: float,
        max_queue: int,
        flush_seconds: float,
        count: Callable[[str, int], None] = lambda outcome, n: None,
        *,
        model: str = "model",
        version: str | None = None,
        drop_fields: tuple[str, ...] = (),
        redact_fields: tuple[str, ...] = (),
    ) -> None:
        self.store = store
        self.prefix = prefix
        self.model = model
        self.version = version
        self.drop_fields = drop_fields
        self.redact_fields = redact_fields
        self.sample_rate = sample_rate
        self.flush_seconds = flush_seconds
        self._count = count
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._random = random.random

    @classmethod
    def for_server(
        cls,
        store: ArtifactStore,
        settings: Any,
        model: str,
        version: str | None,
        count: Callable[[str, int], None],
    ) -> DataCapture:
        """The capture of one model server, from its ``serving:`` settings."""
        return cls(
            store,
            capture_prefix(model, version or "unknown"),
            settings.capture_sample_rate,
            settings.capture_max_queue,
            settings.capture_flush_seconds,
            count=count,
            model=model,
            version=version,
            drop_fields=tuple(settings.capture_drop_fields),
            redact_fields=tuple(settings.capture_redact_fields),
        )

    def offer(
        self,
        request: Any,
        response: Any,
        kind: str,
        request_id: str | None = None,
        variant: str | None = None,
    ) -> None:
        """Maybe record one pair; never blocks, never raises."""
        if self._random() >= self.sample_rate:
            return
        if self._thread is None:
            self.start()
        try:
            self._queue.put_nowait((time.time(), kind, request, response, request_id, variant))
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
            lines = b"".join(self._line(record) for record in records)
            day = datetime.fromtimestamp(records[0][0], UTC).strftime("%Y-%m-%d")
            key = f"{self.prefix}/{day}/{uuid.uuid4().hex}.jsonl"
            self.store.put_bytes(key, lines)
        except Exception:
            log.exception("data capture: could not write %d record(s)", len(records))
            self._count("failed", len(records))
        else:
            self._count("written", len(records))

    def _line(self, item: tuple[float, str, Any, Any, str | None, str | None]) -> bytes:
        at, kind, request, response, request_id, variant = item
        # Redaction happens here, off the request path, before anything reaches the store.
        record = CapturedRecord(
            request_id=request_id,
            captured_at=datetime.fromtimestamp(at, UTC),
            request=redact(request, self.drop_fields, self.redact_fields),
            response=redact(response, self.drop_fields, self.redact_fields),
            version=self.version,
            variant=variant,
        )
        return to_line(record, self.model, kind)
