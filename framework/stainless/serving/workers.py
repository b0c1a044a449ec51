"""Several server processes on one port, each with its own listening socket (``SO_REUSEPORT``).

uvicorn's own multi-worker mode shares one listening socket among its workers: whichever worker
wakes first accepts every connection that is waiting, so a client that opens its connections
all at once (a load balancer's pool, wrk) lands them all on one worker while the others idle.
Measured with wrk's 64 connections on 2 workers: all 64 on one process. Here each worker
listens on its own socket of a ``SO_REUSEPORT`` group, and the kernel spreads new connections
over the group by a hash of their addresses, evenly whatever the timing.

The parent keeps the sockets open for the server's life: a worker that dies is replaced and its
replacement takes over the same socket, connections queued meanwhile included. A worker that
fails to start (the model does not load) stops the server, as uvicorn's supervisor does.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

log = logging.getLogger("stainless.serving")


def reuseport_sockets(host: str, port: int, count: int, backlog: int = 2048) -> list[socket.socket]:
    """``count`` listening sockets on one address, forming one ``SO_REUSEPORT`` group."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # A plain bind first: it fails (address in use) if anything listens there already, so a
    # second server on a busy port is refused instead of silently joining the group and taking
    # a share of the first one's traffic. It also resolves port 0 to one port for all sockets.
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        port = probe.getsockname()[1]
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.listen(backlog)
            sock.set_inheritable(True)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def worker_cpus(index: int, count: int, allowed: set[int] | None = None) -> set[int] | None:
    """The CPUs worker ``index`` of ``count`` runs on when workers are pinned: every
    ``count``-th of the CPUs this process may use, starting at the ``index``-th (one each when
    there are as many CPUs as workers). None: not pinned (one worker, fewer CPUs than
    workers, or a platform without CPU affinity)."""
    if allowed is None:
        if not hasattr(os, "sched_getaffinity"):
            return None
        allowed = os.sched_getaffinity(0)
    cpus = sorted(allowed)
    if count < 2 or len(cpus) < count:
        return None
    return set(cpus[index::count])


def _serve(
    factory: str, options: dict[str, Any], sock: socket.socket, cpus: set[int] | None = None
) -> None:
    """One worker process: build the app with the factory, then uvicorn on its own socket.
    With ``cpus``, the worker (and every thread it starts, the model's included) runs on those
    CPUs only: its event loop and its model thread take turns on one interpreter lock anyway,
    and on a core of their own they neither wait for the other worker nor move between cores."""
    if cpus is not None:
        os.sched_setaffinity(0, cpus)
    module, _, name = factory.partition(":")
    try:
        app = getattr(importlib.import_module(module), name)()
    except Exception:  # the model does not load: restarting this worker would fail the same way
        log.exception("a server worker could not start")
        sys.exit(STARTUP_FAILURE)
    uvicorn.Server(uvicorn.Config(app, **options)).run(sockets=[sock])


def run_workers(factory: str, options: dict[str, Any], count: int, pin: bool = True) -> None:
    """Serve the app ``factory`` (``"module:function"``) builds in each of ``count`` worker
    processes until SIGTERM or SIGINT; then stop them gracefully (each finishes its requests
    and flushes). ``options`` are uvicorn.Config's; ``pin`` gives each worker its own share of
    the CPUs (:func:`worker_cpus`)."""
    sockets = reuseport_sockets(options["host"], options["port"], count)
    # spawn, not fork: each worker starts clean and loads the model itself (no inherited
    # threads or locks), as uvicorn's workers do.
    context = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    def start(index: int) -> Any:
        cpus = worker_cpus(index, count) if pin else None
        process = context.Process(
            target=_serve,
            args=(factory, options, sockets[index], cpus),
            name=f"stainless-worker-{index}",
        )
        process.start()
        return process

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    workers = [start(index) for index in range(count)]
    failed = False
    try:
        while not stopping.wait(0.5):
            for index, worker in enumerate(workers):
                if worker.exitcode is None:
                    continue
                if worker.exitcode == STARTUP_FAILURE:
                    log.error("worker %s could not start; stopping the server", worker.pid)
                    failed = True
                    stopping.set()
                    break
                log.warning("worker %s exited (%s); starting another", worker.pid, worker.exitcode)
                workers[index] = start(index)
    finally:
        for worker in workers:
            if worker.exitcode is None:
                worker.terminate()  # SIGTERM: uvicorn's graceful shutdown, lifespan included
        for worker in workers:
            worker.join(timeout=float(options.get("timeout_graceful_shutdown") or 30) + 10)
            if worker.exitcode is None:
                worker.kill()
                worker.join()
        for sock in sockets:
            sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failed:
        raise SystemExit(STARTUP_FAILURE)
