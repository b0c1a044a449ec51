"""Stopping a server process a test started: politely first, then for good."""

from __future__ import annotations

import subprocess


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, wait up to ``timeout`` seconds, then SIGKILL: a server that ignores SIGTERM
    must not outlive its test (it would hold its port and its files)."""
    if process.stdout is not None:
        process.stdout.close()
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
