"""Embedded default compute: a local process per stage, stopped when it exceeds its time or
memory.

Memory is measured as the resident set of the whole process tree (sampled from /proc), which is
what the stage really uses; an address-space rlimit would kill numpy's thread pools for nothing.

Stages are Python (``python -m stainless <stage> ...``), and most of a short stage's time used
to go to importing pandas, scikit-learn and DuckDB again in every stage process. So when it
safely can, this backend imports the job's ``preload`` modules once, in this process, and
*forks* each stage from it: the stage is still its own process (own session, own memory, killed
on its limits exactly like a spawned one), but starts with those libraries already loaded.
It spawns a fresh interpreter instead when forking is not safe: another thread is running here
(a fork copies locks held by other threads), the platform has no fork, the command is not a
``python -m`` of this interpreter, or ``STAINLESS_STAGE_FORK=0``.
"""

from __future__ import annotations

import importlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from stainless.backends.compute import JobResult, StageJob
from stainless.backends.secrets import child_environ
from stainless.core.uris import Uri

log = logging.getLogger("stainless.compute")
POLL_S = 0.05
FORK_ENV = "STAINLESS_STAGE_FORK"
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class LocalCompute:
    @classmethod
    def from_uri(cls, uri: Uri, base: Path) -> LocalCompute:
        return cls()

    def run(self, job: StageJob) -> JobResult:
        env = dict(job.env)
        threads = str(max(1, int(job.cpus)))
        for var in THREAD_VARS:
            env.setdefault(var, os.environ.get(var, threads))
        started = time.monotonic()
        module = _python_module(job.command)
        if module is not None and _can_fork():
            _preload(job.preload)
            return _supervise(_fork_stage(job, module, env, int(threads)), job, started)
        # The stage's stdout goes to our stderr: our own stdout may be machine-read (--json).
        process = subprocess.Popen(
            job.command,
            cwd=job.cwd,
            env={**child_environ(), **env},
            start_new_session=True,
            stdout=2,
        )
        result = _supervise(process.pid, job, started)
        process.returncode = result.returncode  # reaped by _supervise
        return result


def _python_module(command: list[str]) -> str | None:
    """``module`` of a ``[sys.executable, "-m", module, ...]`` command, else None."""
    if len(command) >= 3 and command[0] == sys.executable and command[1] == "-m":
        return command[2]
    return None


def _can_fork() -> bool:
    return (
        hasattr(os, "fork")
        and os.environ.get(FORK_ENV, "1") != "0"
        and threading.active_count() == 1
    )


def _preload(modules: tuple[str, ...]) -> None:
    for name in modules:
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception as exc:  # an optional library the project does not use: no matter
            log.debug("preload of %s skipped: %s", name, exc)


def _fork_stage(job: StageJob, module: str, env: dict[str, str], threads: int) -> int:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # else the child would write our buffered output a second time
    pid = os.fork()
    if pid:
        return pid
    # The child: never return into the parent's code, whatever happens.
    code = 1
    try:
        os.setsid()
        os.chdir(job.cwd)
        sys.path[0] = os.getcwd()  # as `python -m` does: the stage's folder comes first
        # Secrets this process fetched stay here: the stage resolves its own (from the same
        # references), so no value travels with the job, forked or spawned.
        for name in set(os.environ) - set(child_environ()):
            del os.environ[name]
        os.environ.update(env)
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        _limit_threads(threads)
        import runpy

        sys.argv = [module, *job.command[3:]]
        try:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _limit_threads(threads: int) -> None:
    """BLAS/OpenMP read OMP_NUM_THREADS when they load, which was before the fork: limit the
    pools already running instead."""
    if "numpy" not in sys.modules:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(threads)


def _supervise(pid: int, job: StageJob, started: float) -> JobResult:
    limit_mb = job.memory_gb * 1024
    peak = 0.0
    reason = None
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        peak = max(peak, tree_rss_mb(pid))
        elapsed = time.monotonic() - started
        if elapsed > job.timeout_s:
            reason = f"exceeded max_runtime of {job.timeout_s:.0f}s"
        elif peak > limit_mb:
            reason = f"exceeded its memory of {job.memory_gb:g} GiB (used {peak:.0f} MiB)"
        if reason:
            _kill_group(pid)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(POLL_S)
    returncode = os.waitstatus_to_exitcode(status)
    return JobResult(returncode, time.monotonic() - started, peak, reason)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:  # not yet its own session leader
            os.kill(pid, signal.SIGKILL)
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
