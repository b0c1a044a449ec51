"""Adaptive batching: concurrent single requests coalesced into one call of the model's batch
function (``predict_batch`` / ``@stainless.batch``).

A vectorised model answers 32 rows for little more than the price of one, so under load the
server hands the model whatever requests are waiting, up to ``serving.max_batch_size``.

When the model becomes free, the batcher expects the callers it just answered to come back
(clients under load send their next request when they get an answer) and the ones already
waiting to stay: it sends the next batch as soon as that many requests wait, or when
``serving.max_batch_wait_ms`` has passed since the model became free, whichever comes first.
Sending whoever waits at once instead cuts each wave of returning requests in two: the first
few go alone and pay the model's whole fixed cost, the rest wait a whole batch for the next
turn (which was most of the p99 under load). Waiting out the whole wait instead idles the
model after the wave is in. A request that finds the model idle goes at once when traffic is
light (the last batch held one request), so a lone request never waits. Batch size therefore
follows the load: one request at a time when traffic is light, whole waves when it is heavy.

Batches run one at a time on a dedicated thread, never on the event loop: ``/ping``, metrics
and the parsing and validation of the next requests go on while the model works. Workers
(processes) use the other cores.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stainless.project.runtime import Outcome

RunBatch = Callable[[list[Any]], list[Outcome]]


class AdaptiveBatcher:
    """Coalesces :meth:`submit` calls of one event loop into calls of ``run`` (in a thread).

    ``run`` receives requests already valid under the request schema and returns one outcome per
    request (its response, or the error it alone gets). Bound lazily to the running event loop,
    so one app can be served by uvicorn or called from tests that each bring their own loop.
    """

    def __init__(
        self,
        run: RunBatch,
        max_size: int,
        max_wait_s: float,
        executor: ThreadPoolExecutor,
        observe: Callable[[int], None] = lambda size: None,
    ) -> None:
        self._run_batch = run
        self.max_size = max_size
        self.max_wait_s = max_wait_s
        self._executor = executor
        self._observe = observe
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[tuple[Any, asyncio.Future[Outcome], float]] = []
        self._running = False
        # Whether the last batch held several requests: the load is heavy, and the callers it
        # answered are likely to be back within max_wait_s.
        self._busy = False
        # How many requests the next batch should hold: set when a batch ends (see _execute).
        self._expected = max_size
        self._free_since = 0.0  # time.monotonic() when the model last became free
        self._timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[None] | None = None  # held: the loop keeps tasks weakly

    async def submit(self, request: Any) -> Outcome:
        """The outcome of one (valid) request, predicted together with its concurrent peers."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._pending, self._running, self._timer = loop, [], False, None
        future: asyncio.Future[Outcome] = loop.create_future()
        self._pending.append((request, future, time.monotonic()))
        if not self._running:
            self._consider()
        return await future

    async def run(self, requests: list[Any]) -> list[Outcome]:
        """A batch the caller already assembled (a JSON array, JSON Lines), on the same thread
        as the coalesced ones, so the model is never called from two threads at once."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._run_batch, requests)

    def _consider(self) -> None:
        """With the model free: send a batch now, or wait (at most max_wait_s after the model
        became free, or after the first arrival if later) until the expected requests are in."""
        if not self._busy or self.max_wait_s <= 0 or len(self._pending) >= self._expected:
            self._dispatch()
            return
        now = time.monotonic()
        deadline = max(self._free_since, self._pending[0][2]) + self.max_wait_s
        if now >= deadline:
            self._dispatch()
        elif self._timer is None:
            assert self._loop is not None
            self._timer = self._loop.call_later(deadline - now, self._dispatch)

    def _dispatch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # Requests whose caller gave up (disconnect, cancellation) are not predicted.
        self._pending = [entry for entry in self._pending if not entry[1].done()]
        if self._running or not self._pending:
            return
        taken, self._pending = self._pending[: self.max_size], self._pending[self.max_size :]
        self._running = True
        assert self._loop is not None
        self._task = self._loop.create_task(self._execute(taken))

    async def _execute(self, taken: list[tuple[Any, asyncio.Future[Outcome], float]]) -> None:
        loop = asyncio.get_running_loop()
        try:
            self._observe(len(taken))
            outcomes = await loop.run_in_executor(
                self._executor, self._run_batch, [entry[0] for entry in taken]
            )
        except BaseException as exc:  # noqa: BLE001 -- every waiting request must get an answer
            for _, future, _ in taken:
                if not future.done():
                    future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            for (_, future, _), outcome in zip(taken, outcomes, strict=True):
                if not future.done():
                    future.set_result(outcome)
        finally:
            self._running = False
            self._busy = len(taken) > 1
            self._pending = [entry for entry in self._pending if not entry[1].done()]
            # Those just answered are expected back, and those waiting stay.
            self._expected = min(self.max_size, len(taken) + len(self._pending))
            self._free_since = time.monotonic()
            if loop is self._loop and self._pending:
                self._consider()
