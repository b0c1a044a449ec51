"""The background notifier against the Slack stub: send never waits, order is kept, Retry-After
is honoured on the worker, the flush has a deadline."""

from __future__ import annotations

import time
from pathlib import Path

from stainless.backends.notify import Event, open_notifier
from stainless.backends.notify.background import BackgroundNotifier, flush_notifications


def event(n: int) -> Event:
    return Event(kind="rollout_step", model="house-prices", title=f"step {n}")


def notifier(slack_stub, monkeypatch) -> BackgroundNotifier:
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_stub.token)
    monkeypatch.setenv("SLACK_API_URL", slack_stub.base_url)
    made = open_notifier("slack://#ml", Path("."), {}, background=True)
    assert isinstance(made, BackgroundNotifier)
    return made


def test_send_returns_at_once_and_messages_arrive_in_order(slack_stub, monkeypatch):
    queued = notifier(slack_stub, monkeypatch)
    slack_stub.rate_limit_next(1, retry_after=1)
    started = time.monotonic()
    for n in range(5):
        queued.send(event(n))
    assert time.monotonic() - started < 0.2
    assert not flush_notifications(queued, 0.2)  # the worker honours Retry-After: 1 s
    assert queued.flush(10)
    assert [m["text"].split("step ")[-1][:1] for m in slack_stub.messages] == list("01234")
    assert len(slack_stub.calls_to("chat.postMessage")) == 6  # the 429, then 5 deliveries


def test_a_hanging_slack_costs_only_the_flush_deadline(slack_stub, monkeypatch):
    queued = notifier(slack_stub, monkeypatch)
    slack_stub.hang_next(3, seconds=5)
    started = time.monotonic()
    for n in range(3):
        queued.send(event(n))
    assert not queued.flush(0.5)
    assert time.monotonic() - started < 1.0


def test_a_full_queue_drops_instead_of_blocking(slack_stub, monkeypatch, caplog):
    queued = BackgroundNotifier(notifier(slack_stub, monkeypatch).inner, maxsize=2)
    slack_stub.hang_next(1, seconds=2)
    started = time.monotonic()
    for n in range(6):
        queued.send(event(n))
    assert time.monotonic() - started < 0.5
    assert "dropped" in caplog.text
    assert queued.flush(10)
    assert len(slack_stub.messages) < 6
