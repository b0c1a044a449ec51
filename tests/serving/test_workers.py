"""Worker processes, each on its own socket of a SO_REUSEPORT group: connections opened at once
are spread over the workers, a dead worker is replaced, a worker that cannot start stops the
server, and a busy port is refused."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from stainless.serving.workers import reuseport_sockets, worker_cpus

ROOT = Path(__file__).resolve().parents[2]


def pid_app() -> Any:
    """A tiny ASGI app answering its worker's process id (the factory each worker calls)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = str(os.getpid()).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


def broken_app() -> Any:
    raise RuntimeError("the model does not load")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_workers(factory: str, port: int, count: int) -> subprocess.Popen[str]:
    options = {"host": "127.0.0.1", "port": port, "log_level": "warning", "lifespan": "on"}
    code = (
        "import json, sys\nfrom stainless.serving.workers import run_workers\n"
        f"run_workers({factory!r}, json.loads(sys.argv[1]), {count})"
    )
    return subprocess.Popen(
        [sys.executable, "-c", code, json.dumps(options)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def workers() -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    process = start_workers("tests.serving.test_workers:pid_app", port, 2)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            break
        except httpx.TransportError:
            assert process.poll() is None, process.communicate()[0]
            time.sleep(0.1)
    yield process, url
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)


def pids_of_connections(url: str, count: int) -> list[int]:
    """The worker answering each of ``count`` connections opened at once (no keep-alive reuse)."""
    clients = [httpx.Client(base_url=url) for _ in range(count)]
    try:
        return [int(client.get("/").text) for client in clients]
    finally:
        for client in clients:
            client.close()


def test_a_group_spreads_connections_over_its_sockets() -> None:
    sockets = reuseport_sockets("127.0.0.1", 0, 2)
    try:
        port = sockets[0].getsockname()[1]
        assert sockets[1].getsockname()[1] == port
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(32)]
        accepted = []
        for listener in sockets:
            listener.setblocking(False)
            taken = 0
            while True:
                try:
                    connection, _ = listener.accept()
                except BlockingIOError:
                    break
                connection.close()
                taken += 1
            accepted.append(taken)
        for client in clients:
            client.close()
        assert sum(accepted) == 32
        assert min(accepted) >= 4, accepted  # by hash: both sockets get a fair share
    finally:
        for sock in sockets:
            sock.close()


def test_a_busy_port_is_refused() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError):
            reuseport_sockets("127.0.0.1", busy.getsockname()[1], 2)
    group = reuseport_sockets("127.0.0.1", 0, 2)
    try:  # a second server on the port of a running one must not share its traffic
        with pytest.raises(OSError):
            reuseport_sockets("127.0.0.1", group[0].getsockname()[1], 2)
    finally:
        for sock in group:
            sock.close()


def test_connections_opened_at_once_reach_every_worker_and_a_dead_one_is_replaced(
    workers: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = workers
    pids = pids_of_connections(url, 16)
    assert len(set(pids)) == 2, pids  # uvicorn's shared socket gave all 16 to one worker
    victim = pids[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            seen = set(pids_of_connections(url, 16))
        except httpx.TransportError:
            seen = set()
        if len(seen) == 2 and victim not in seen:
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the dead worker was not replaced: {seen}")
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out


def test_a_worker_that_cannot_start_stops_the_server() -> None:
    process = start_workers("tests.serving.test_workers:broken_app", free_port(), 2)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 3, out  # uvicorn's STARTUP_FAILURE
    assert "the model does not load" in out


def test_each_worker_gets_its_own_share_of_the_cpus() -> None:
    assert worker_cpus(0, 2, {0, 1}) == {0} and worker_cpus(1, 2, {0, 1}) == {1}
    assert worker_cpus(1, 2, set(range(8))) == {1, 3, 5, 7}
    assert worker_cpus(2, 3, {4, 9, 12, 15}) == {12}
    assert worker_cpus(0, 1, {0, 1}) is None  # one worker may use every CPU
    assert worker_cpus(0, 4, {0, 1}) is None  # more workers than CPUs: the OS places them


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 CPUs")
def test_workers_run_pinned_to_their_share(workers: tuple[subprocess.Popen[str], str]) -> None:
    _, url = workers
    pids = set(pids_of_connections(url, 16))
    shares = {frozenset(os.sched_getaffinity(pid)) for pid in pids}
    expected = {frozenset(worker_cpus(index, 2) or ()) for index in range(2)}
    assert len(pids) == 2 and shares == expected, (shares, expected)
