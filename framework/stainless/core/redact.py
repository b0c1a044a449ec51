"""Secret values this process holds, masked wherever text leaves it.

A secret resolved into the environment (``stainless.backends.secrets``) is registered here;
from then on it is replaced by ``***`` in log records (message and traceback), uncaught
exception output, rendered errors and notifications. The values live only in this process's
memory: nothing here is written anywhere.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from types import TracebackType

MASK = "***"
# Shorter values would mask ordinary words and numbers all over the logs; secrets are longer.
MIN_LENGTH = 4

_values: set[str] = set()
_lock = threading.Lock()
_installed = False


def register(value: str) -> None:
    """Mask ``value`` from now on (and install the log and excepthook filters once)."""
    if len(value) < MIN_LENGTH:
        return
    with _lock:
        # Multi-line secrets (PEM keys) also leak one line at a time.
        _values.update(
            part for part in [value, *value.splitlines()] if len(part.strip()) >= MIN_LENGTH
        )
    _install()


def redact(text: str) -> str:
    if not _values or not text:
        return text
    for value in sorted(_values, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


def _install() -> None:
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous_factory = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous_factory(*args, **kwargs)
        if not _values:
            return record
        try:
            record.msg, record.args = redact(record.getMessage()), None
        except Exception:  # a malformed log call is logging's to report, not ours to raise
            return record
        if record.exc_info and record.exc_info[1] is not None:
            # Formatters reuse exc_text when it is set: format the traceback once, masked.
            text = "".join(traceback.format_exception(*record.exc_info))
            record.exc_text, record.exc_info = redact(text).rstrip("\n"), None
        return record

    logging.setLogRecordFactory(factory)
    previous_hook = sys.excepthook

    def excepthook(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        if not _values:
            previous_hook(kind, value, tb)
            return
        sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))

    sys.excepthook = excepthook
