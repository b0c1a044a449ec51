"""What the serving benchmarks share: the example request, servers started and stopped as
process groups on free ports, wrk as the load generator (no fallback), and the closing lines.

A benchmark script imports it as ``harness`` (``python benchmarks/X.py`` puts this folder on
the import path).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# The template's example house, as a client would send it.
REQUEST = {
    "area_sqm": 94.0,
    "bedrooms": 4,
    "age_years": 21,
    "distance_km": 3.45,
    "neighborhood": "east",
}
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status))
end
"""


def refusal(benchmark: str, what: str) -> SystemExit:
    """The non-zero exit of a benchmark whose load generator or anchor is missing."""
    return SystemExit(
        f"{benchmark} benchmark: refusing to run: {what}. `make benchmarks` installs the "
        "anchors (.ci/benchmark-setup.sh)"
    )


def require_wrk(benchmark: str) -> None:
    if not shutil.which("wrk"):
        raise refusal(benchmark, "wrk (the load generator) is not installed")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(
    command: list[str],
    ping: str,
    cwd: Path,
    timeout: float = 180,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """``command`` in its own process group, once ``ping`` answers 200; its stderr's tail in the
    error if it exits first."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode()[-2000:] if process.stderr else ""
            raise RuntimeError(f"{command[0]} exited: {error}")
        try:
            if httpx.get(ping, timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{' '.join(command)} did not become ready in {timeout:.0f}s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group (servers with worker processes), SIGKILL after 30 s."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


@dataclass(frozen=True)
class Load:
    """What wrk measured against one server."""

    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    connections: int

    def line(self, name: str) -> str:
        return (
            f"{name:>16}: {self.rps:>8.0f} req/s  p50 {self.p50_ms:>7.2f} ms  "
            f"p99 {self.p99_ms:>7.2f} ms  ({self.connections} conn, non-2xx {self.non_2xx})"
        )


# The load generator runs on the cores it loads. When the servers keep them busy, wrk waits
# for a core too, reads answers late and reports its own waiting as the servers' latency: at
# 64 connections on 2 cores, p99 1-2 ms longer than with wrk ahead of them (nice -10), for
# every server alike. Raising a priority needs root (or CAP_SYS_NICE); without it wrk runs at
# the normal priority and CLIENT_NICE says so.
WRK_NICE = -10
CLIENT_NICE = WRK_NICE if os.geteuid() == 0 else 0


def _ahead_of_the_servers() -> None:
    if CLIENT_NICE:
        os.nice(CLIENT_NICE)


def wrk(url: str, body: dict[str, Any], seconds: float, connections: int) -> Load:
    """POST ``body`` to ``url`` from ``connections`` connections for ``seconds``, after a
    warm-up second. One wrk thread: it sends far more than any of these servers answers (a
    thread drives well over 100 000 req/s), and every extra thread is one more runnable thread
    on the cores the servers are measured on (2 threads: p99 1-2 ms worse at 64 connections).
    wrk runs ahead of the servers (see CLIENT_NICE)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(textwrap.dedent(WRK_SCRIPT).format(body=json.dumps(json.dumps(body))))
    try:
        out = ""
        for duration in (1, seconds):
            command = ["wrk", "-t1", f"-c{connections}", f"-d{max(int(duration), 1)}s"]
            command += ["--timeout", "10s", "-s", script.name, url]
            out = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=True,
                preexec_fn=_ahead_of_the_servers,
            ).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    requests, duration_us, p50, p99, non_2xx = (int(x) for x in line.split()[1:])
    return Load(
        rps=requests / (duration_us / 1e6),
        p50_ms=p50 / 1000,
        p99_ms=p99 / 1000,
        non_2xx=non_2xx,
        connections=connections,
    )


def finish(summary: dict[str, Any], headline: tuple[str, ...], as_json: bool) -> None:
    """The headline ratios on stderr; with --json the summary as the last line of stdout."""
    for key in headline:
        print(f"{key:>22}: {summary[key]}", file=sys.stderr)
    if as_json:
        print(json.dumps(summary))
