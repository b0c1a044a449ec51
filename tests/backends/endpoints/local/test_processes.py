"""Detached server processes, for real: a Python HTTP server started in its own session with its
output in a log file, recognised by pid and start time, health-checked, stopped."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

from stainless.backends.endpoints.local.processes import (
    free_port,
    identity,
    is_alive,
    log_tail,
    ping,
    spawn,
    stop,
    wait_until_ready,
)


def test_a_server_is_started_detached_checked_and_stopped(tmp_path: Path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "ping").write_text('{"status": "ok"}')  # GET /ping answers 200
    port = free_port()
    log = tmp_path / "logs" / "server.log"
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
               "--directory", str(tmp_path / "site")]  # fmt: skip
    pid = spawn(command, log)
    try:
        url = f"http://127.0.0.1:{port}"
        assert wait_until_ready(url, pid, timeout_s=30) is None
        assert ping(url).json() == {"status": "ok"}
        started = identity(pid)
        assert started is not None and is_alive(pid, started)
        assert not is_alive(pid, "another start time")  # a reused pid is someone else
        assert "GET /ping" in log_tail(log)  # the server's output went to the log
    finally:
        stop([(pid, identity(pid))], grace_s=5)
    assert not is_alive(pid, None) and ping(f"http://127.0.0.1:{port}") is None


def test_a_process_that_exits_is_reported_with_its_log(tmp_path: Path):
    log = tmp_path / "crash.log"
    pid = spawn([sys.executable, "-c", "print('no model.tar.gz here'); raise SystemExit(3)"], log)
    why = wait_until_ready(f"http://127.0.0.1:{free_port()}", pid, timeout_s=30)
    assert why == "the process exited"
    assert log_tail(log).splitlines()[-1] == "no model.tar.gz here"
    assert identity(pid) is None and not is_alive(pid, None)
    assert log_tail(tmp_path / "missing.log") == "(no log)"


def test_a_preferred_port_is_kept_when_free_and_replaced_when_taken():
    preferred = free_port()
    assert free_port(preferred) == preferred
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        assert free_port(busy) != busy


def test_nobody_listening_is_no_answer():
    assert ping(f"http://127.0.0.1:{free_port()}", timeout=0.5) is None
    assert not is_alive(None, None)
