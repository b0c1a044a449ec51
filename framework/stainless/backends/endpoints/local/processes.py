"""Detached server processes for the local endpoint: start, recognise, health-check, stop.

Processes are started in their own session (they outlive the command that started them, and a
Ctrl-C in that terminal does not reach them) with output appended to a log file. A pid alone is
not an identity, since pids are reused: we also record the process start time from /proc and only
ever signal a process whose start time still matches.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from stainless.core.processes import pid_exists


def free_port(preferred: int | None = None) -> int:
    """``preferred`` when it can be bound on loopback (so a restarted endpoint keeps its URL),
    else any free port."""
    for candidate in ([preferred] if preferred else []) + [0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As the servers do: a port whose old connections linger in TIME_WAIT is free.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise OSError("no free TCP port on 127.0.0.1")


def spawn(command: Sequence[str], log_file: Path, env: dict[str, str] | None = None) -> int:
    """Start ``command`` detached (new session, stdin from /dev/null, output to ``log_file``)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, str(log_file), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
        (os.POSIX_SPAWN_DUP2, 1, 2),
    ]
    # posix_spawn rather than subprocess.Popen: no Popen object whose destructor would warn that
    # a process we deliberately leave running is "still running".
    return os.posix_spawn(
        command[0],
        list(command),
        dict(env if env is not None else os.environ),
        file_actions=actions,
        setsid=True,
    )


def identity(pid: int) -> str | None:
    """The process start time (clock ticks since boot), or None when the pid is not running."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        if not Path("/proc").is_dir():  # no procfs (macOS): fall back to "a process exists"
            return "unknown" if pid_exists(pid) else None
        return None
    if fields[0] in ("Z", "X"):  # a zombie has exited; only its exit status is left
        _reap(pid)
        return None
    return fields[19]


def is_alive(pid: int | None, expected_identity: str | None) -> bool:
    if not pid:
        return False
    _reap(pid)
    current = identity(pid)
    return current is not None and (expected_identity in (None, "unknown", current))


def stop(processes: Sequence[tuple[int | None, str | None]], grace_s: float = 5.0) -> None:
    """SIGTERM each process group, SIGKILL what is left after ``grace_s``; all in parallel.
    Never signals a pid whose start time no longer matches (it was reused)."""
    running = [(pid, ident) for pid, ident in processes if pid is not None and is_alive(pid, ident)]
    for pid, _ in running:
        _signal_group(pid, signal.SIGTERM)
    for signum, wait_s in ((signal.SIGKILL, grace_s), (None, 2.0)):
        deadline = time.monotonic() + wait_s
        while running and time.monotonic() < deadline:
            running = [(pid, ident) for pid, ident in running if is_alive(pid, ident)]
            time.sleep(0.02)
        if signum is not None:
            for pid, _ in running:
                _signal_group(pid, signum)


@dataclass(frozen=True)
class Pong:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


def ping(url: str, timeout: float = 1.0) -> Pong | None:
    """``GET {url}/ping`` (http.client: no client library logging every health check)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("GET", "/ping")
        answer = conn.getresponse()
        return Pong(answer.status, answer.read())
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def wait_until_ready(url: str, pid: int, timeout_s: float) -> str | None:
    """Poll ``GET /ping`` until 200. Returns None when ready, else why not."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if identity(pid) is None:
            return "the process exited"
        response = ping(url, timeout=1.0)
        if response is not None and response.status == 200:
            return None
        time.sleep(0.05)
    return f"it did not answer GET /ping with 200 within {timeout_s:g}s"


def log_tail(log_file: Path, lines: int = 15) -> str:
    try:
        text = log_file.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _signal_group(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signum)  # the process leads its own session, so its group id is its pid


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our own child (else it would linger as a zombie)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)
