"""Fault injection for the crash tests: stop the process at a named step so a test can kill it.

``STAINLESS_FAULT_STOP_AT=<point>`` makes the process that reaches ``point(<point>)`` write its
pid to ``STAINLESS_FAULT_FLAG`` (a file path) and then sleep until someone kills it: the test
sees the flag and sends a real SIGKILL at exactly that step. ``STAINLESS_FAULT_DELAY_AT=
<point>=<seconds>`` only slows that step down (to widen a race on purpose). Unset (always,
outside tests), a point costs two dictionary lookups.
"""

from __future__ import annotations

import os
import time

STOP_AT = "STAINLESS_FAULT_STOP_AT"
FLAG = "STAINLESS_FAULT_FLAG"
DELAY_AT = "STAINLESS_FAULT_DELAY_AT"


def point(name: str) -> None:
    delay = os.environ.get(DELAY_AT)
    if delay and delay.rpartition("=")[0] == name:
        time.sleep(float(delay.rpartition("=")[2]))
    if os.environ.get(STOP_AT) != name:
        return
    flag = os.environ.get(FLAG)
    if flag:
        with open(flag, "w", encoding="utf-8") as handle:
            handle.write(str(os.getpid()))
    while True:  # wait for the SIGKILL; never continue past the step under test
        time.sleep(60)
