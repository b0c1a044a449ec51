"""Notifications as the team sees them in tests: the real Slack client pointed at the Slack stub
(the ``slack_stub`` fixture of tests/conftest.py), and a message's fields as people read them."""

from __future__ import annotations

import html
from typing import Any

import pytest

CHANNEL = "#ml-models"


def notify_through(stub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Workspaces opened from now on in this test notify ``stub`` (a SlackStub)."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", stub.token)
    monkeypatch.setenv("SLACK_API_URL", stub.base_url)
    monkeypatch.setenv("STAINLESS_NOTIFY", f"slack://{CHANNEL}")


def message_fields(message: dict[str, Any]) -> list[str]:
    """The ``*Name*\\nvalue`` fields of a posted message, unescaped (Slack escapes &, <, >)."""
    return [
        html.unescape(field["text"])
        for block in message.get("blocks", [])
        for field in block.get("fields", [])
    ]
