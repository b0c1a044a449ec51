"""stainless.core.redact: a registered secret never leaves the process in text, log records,
tracebacks or uncaught-exception output. Each test registers a fresh random value (the
registry is process-wide and only grows)."""

from __future__ import annotations

import logging
import secrets
import subprocess
import sys

import pytest
from stainless.core.redact import MASK, MIN_LENGTH, redact, register


def fresh(prefix: str = "s") -> str:
    return f"{prefix}-{secrets.token_hex(12)}"


def test_a_registered_value_is_masked_wherever_it_stands():
    value = fresh()
    assert redact(f"password={value}") == f"password={value}"  # not registered yet
    register(value)
    assert redact(f"password={value}; again {value}") == f"password={MASK}; again {MASK}"


def test_a_longer_secret_is_masked_whole_before_a_shorter_one_inside_it():
    short = fresh()
    long = short + "-suffix"
    register(short)
    register(long)
    assert redact(f"[{long}]") == f"[{MASK}]"  # not "***-suffix"


def test_short_values_are_never_masked():
    value = "x" * (MIN_LENGTH - 1)
    register(value)
    assert redact(f"a {value} b") == f"a {value} b"


def test_each_line_of_a_multi_line_secret_is_masked_on_its_own():
    first, second = fresh("line1"), fresh("line2")
    register(f"-----BEGIN KEY-----\n{first}\n{second}\n-----END KEY-----")
    assert redact(f"leaked: {second}") == f"leaked: {MASK}"
    assert first not in redact(f"{first}\n")


def test_log_messages_and_their_tracebacks_are_masked(caplog: pytest.LogCaptureFixture):
    value = fresh()
    register(value)
    log = logging.getLogger("stainless.test_redact")
    with caplog.at_level(logging.INFO, logger="stainless.test_redact"):
        log.info("connecting with %s", value)
        try:
            raise RuntimeError(f"login failed for {value}")
        except RuntimeError:
            log.exception("it failed")
    text = caplog.text
    assert "connecting with ***" in text
    assert "RuntimeError: login failed for ***" in text
    assert value not in text


def test_an_uncaught_exception_is_printed_masked():
    value = fresh()
    code = (
        "from stainless.core.redact import register\n"
        f"register({value!r})\n"
        f"raise SystemError('the token ' + {value!r})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "SystemError: the token ***" in result.stderr
    assert value not in result.stderr
