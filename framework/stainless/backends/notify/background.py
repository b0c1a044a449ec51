"""Notifications off the critical path: a bounded queue drained by one background thread.

``send`` only enqueues, so a Slack that rate-limits (429 + Retry-After, honoured by the Slack
notifier's retry handlers on the worker thread) or hangs never slows a stage, a tick or a
rollback. One worker keeps the order of messages. The queue is bounded: past ``maxsize``
waiting messages, new ones are dropped with a warning rather than growing without end. At
exit (and at the end of each run) the queue is flushed with a deadline, so a process never
hangs on its way out because Slack does.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time

from stainless.backends.notify import Event, Notifier

log = logging.getLogger("stainless.notify")

MAX_QUEUED = 200
FLUSH_S = 1.0  # how long a finishing run or process waits for undelivered messages


class BackgroundNotifier:
    def __init__(self, inner: Notifier, maxsize: int = MAX_QUEUED, flush_s: float = FLUSH_S):
        self.inner = inner
        self.flush_s = flush_s
        self._queue: queue.Queue[Event] = queue.Queue(maxsize)
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()
        atexit.register(self.close)

    def __repr__(self) -> str:
        return f"BackgroundNotifier({self.inner!r})"

    def send(self, event: Event) -> None:
        self._start()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            log.warning(
                "notification %r for %s dropped: %d messages are still waiting for delivery",
                event.kind,
                event.model,
                self._queue.qsize(),
            )

    def flush(self, timeout_s: float | None = None) -> bool:
        """Wait until every queued message was handled, at most ``timeout_s``; True if so."""
        deadline = time.monotonic() + (self.flush_s if timeout_s is None else timeout_s)
        with self._queue.all_tasks_done:
            while self._queue.unfinished_tasks:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._queue.all_tasks_done.wait(left)
        return True

    def close(self) -> None:
        if not self.flush():
            log.warning(
                "%d notification(s) not delivered within %.1fs at exit",
                self._queue.unfinished_tasks,
                self.flush_s,
            )

    def _start(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                # A daemon: a process may exit with messages still queued (after the flush).
                self._worker = threading.Thread(
                    target=self._drain, name="stainless-notify", daemon=True
                )
                self._worker.start()

    def _drain(self) -> None:
        while True:
            event = self._queue.get()
            try:
                self.inner.send(event)
            except Exception:  # the Notifier contract says never, but a worker must survive
                log.exception("notification %r failed", event.kind)
            finally:
                self._queue.task_done()


def flush_notifications(notifier: Notifier, timeout_s: float = FLUSH_S) -> bool:
    """Give queued messages up to ``timeout_s`` to go out (no-op for synchronous notifiers)."""
    if isinstance(notifier, BackgroundNotifier):
        return notifier.flush(timeout_s)
    return True
