"""stainless.core.faults: a process stops at a named step for a crash test to kill it there
(the crash tests themselves are tests/pipeline/test_faults.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from stainless.core import faults

CODE = "from stainless.core import faults; faults.point('a'); faults.point('b'); print('done')"


def run(env: dict[str, str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STAINLESS_FAULT")}
    return subprocess.run([sys.executable, "-c", CODE], env={**clean, **env},
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def test_without_settings_a_point_does_nothing(monkeypatch: pytest.MonkeyPatch):
    for name in (faults.STOP_AT, faults.DELAY_AT):
        monkeypatch.delenv(name, raising=False)
    faults.point("anything")  # returns at once
    assert run({}).stdout.strip() == "done"
    assert run({faults.STOP_AT: "elsewhere"}).stdout.strip() == "done"


def test_a_process_stops_at_its_point_and_says_so_until_it_is_killed(tmp_path: Path):
    flag = tmp_path / "flag"
    env = {**os.environ, faults.STOP_AT: "b", faults.FLAG: str(flag)}
    process = subprocess.Popen([sys.executable, "-c", CODE], env=env, stdout=subprocess.PIPE,
                               text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert flag.read_text() == str(process.pid)
        time.sleep(0.2)
        assert process.poll() is None  # it waits at the step, never continues past it
    finally:
        process.send_signal(signal.SIGKILL)
        out, _ = process.communicate(timeout=10)
    assert process.returncode == -signal.SIGKILL and "done" not in out


def test_a_delay_slows_only_its_point():
    started = time.monotonic()
    assert run({faults.DELAY_AT: "a=0.5"}).stdout.strip() == "done"
    assert time.monotonic() - started >= 0.5
