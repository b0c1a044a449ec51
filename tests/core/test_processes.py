"""stainless.core.processes: the one "does this pid exist" probe (leases and local endpoints)."""

import os
import subprocess
import sys

from stainless.core.processes import pid_exists


def test_a_running_process_exists_and_an_exited_one_does_not():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert pid_exists(child.pid)
    finally:
        child.kill()
        child.wait()  # reaped: the pid names nothing now (pids are not reused this fast)
    assert not pid_exists(child.pid)


def test_this_process_and_another_users_process_exist():
    assert pid_exists(os.getpid())
    # pid 1 always exists; when it belongs to root the probe is refused, which still means
    # "it exists".
    assert pid_exists(1)


def test_group_addresses_are_not_processes():
    # os.kill(0, 0) would probe our own process group and answer "alive" for a lease whose
    # pid was never set.
    assert not pid_exists(0)
    assert not pid_exists(-1)
