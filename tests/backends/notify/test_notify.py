"""Choosing a notifier by URI, and delivering remote ones from a background queue."""

from pathlib import Path

import pytest
from stainless.backends.notify import KINDS, Event, Notifier, open_notifier
from stainless.backends.notify.background import BackgroundNotifier
from stainless.backends.notify.console import ConsoleNotifier
from stainless.core.errors import BackendError


def test_the_console_is_never_put_behind_a_queue(tmp_path: Path):
    notifier = open_notifier("console://", tmp_path, background=True)
    assert isinstance(notifier, ConsoleNotifier) and isinstance(notifier, Notifier)


def test_slack_is_delivered_from_the_background_when_asked(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    queued = open_notifier("slack://ml-models", tmp_path, background=True)
    try:
        assert isinstance(queued, BackgroundNotifier)
    finally:
        queued.close()
    direct = open_notifier("slack://ml-models", tmp_path)
    assert not isinstance(direct, BackgroundNotifier) and isinstance(direct, Notifier)


def test_an_unknown_scheme_lists_the_known_ones(tmp_path: Path):
    with pytest.raises(BackendError, match="no notify backend for scheme 'teams'") as caught:
        open_notifier("teams://channel", tmp_path)
    assert caught.value.expected == "console://, slack://, slack+webhook://"


def test_every_kind_a_pipeline_sends_is_declared():
    assert len(set(KINDS)) == len(KINDS)
    assert {"decision", "promoted", "rolled_back", "stage_failed", "drift"} <= set(KINDS)
    event = Event("decision", "house-prices", "Version 2 approved")
    assert event.severity == "info" and event.fields == {} and event.links == {}
