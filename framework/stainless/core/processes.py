"""Whether a process exists on this machine, by pid (no psutil: the signal-0 probe suffices)."""

from __future__ import annotations

import os


def pid_exists(pid: int) -> bool:
    """True while ``pid`` names a process on this machine, ours or another user's.

    Signal 0 checks without signalling; "permission denied" means the process exists but belongs
    to another user. A zombie still exists until its parent reaps it.
    """
    if pid <= 0:  # 0 and negatives address process groups, not one process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
