"""Embedded default compute: a local subprocess, stopped when it exceeds its time or memory.

Memory is measured as the resident set of the whole process tree (sampled from /proc), which is
what the stage really uses; an address-space rlimit would kill numpy's thread pools for nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from stainless.backends.compute import JobResult, StageJob
from stainless.backends.secrets import child_environ
from stainless.core.uris import Uri

POLL_S = 0.1


class LocalCompute:
    @classmethod
    def from_uri(cls, uri: Uri, base: Path) -> LocalCompute:
        return cls()

    def run(self, job: StageJob) -> JobResult:
        # Secrets this process fetched stay here: the stage resolves its own (from the same
        # references), so no value travels in a job definition.
        env = {**child_environ(), **job.env}
        threads = str(max(1, int(job.cpus)))
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, threads)
        started = time.monotonic()
        # The stage's stdout goes to our stderr: our own stdout may be machine-read (--json).
        process = subprocess.Popen(
            job.command, cwd=job.cwd, env=env, start_new_session=True, stdout=2
        )
        limit_mb = job.memory_gb * 1024
        peak = 0.0
        reason = None
        while process.poll() is None:
            peak = max(peak, tree_rss_mb(process.pid))
            elapsed = time.monotonic() - started
            if elapsed > job.timeout_s:
                reason = f"exceeded max_runtime of {job.timeout_s:.0f}s"
            elif peak > limit_mb:
                reason = f"exceeded its memory of {job.memory_gb:g} GiB (used {peak:.0f} MiB)"
            if reason:
                _kill_group(process)
                break
            time.sleep(POLL_S)
        returncode = process.wait()
        return JobResult(returncode, time.monotonic() - started, peak, reason)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, in MiB (Linux /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            statm = (entry / "statm").read_text().split()
        except OSError:
            continue
        pid = int(entry.name)
        children.setdefault(int(fields[1]), []).append(pid)
        rss[pid] = int(statm[1])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
