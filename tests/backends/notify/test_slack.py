"""The Slack notifier: real slack-sdk clients, real HTTP, against stainless.testing.slack_stub."""

from __future__ import annotations

import logging
import socket
import sys
import time
from pathlib import Path

import pytest
from stainless.backends.notify import Event, open_notifier
from stainless.backends.notify.messages import render
from stainless.backends.notify.slack import (
    RetryPolicy,
    SlackNotifier,
    SlackWebhookNotifier,
)
from stainless.core.errors import BackendError, MissingExtraError

# Small waits so retry tests take milliseconds; the caps are what is under test.
FAST = RetryPolicy(retries=2, backoff_s=0.01, max_rate_limit_wait_s=0.05, timeout_s=5)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch, slack_stub):
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack_stub.token)
    monkeypatch.setenv("SLACK_API_URL", slack_stub.base_url)
    monkeypatch.setenv("SLACK_WEBHOOK_URL", slack_stub.webhook_url)
    return slack_stub


def _bot(stub, **kwargs) -> SlackNotifier:
    return SlackNotifier(stub.token, "#ml-models", base_url=stub.base_url, retry=FAST, **kwargs)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


EVENTS = [
    Event("run_started", "house-prices", "Run r1 started", "r1", {"stages": "preprocess → train"}),
    Event(
        "training_finished",
        "house-prices",
        "Version 2 trained",
        "r1",
        {"version": 2, "duration_s": 12.5, "rmse": 0.25},
    ),
    Event(
        "decision",
        "house-prices",
        "Version 2 promoted",
        "r1",
        {"candidate rmse": 0.25, "production rmse": 0.3, "margin": -0.05},
        "success",
    ),
    Event(
        "rollout_step",
        "house-prices",
        "Traffic 10% → 25%",
        "r1",
        {"weights": {"production": 0.75, "candidate": 0.25}, "candidate_5xx_rate": 0.001},
    ),
]


def test_posts_block_kit_messages_with_a_text_fallback(slack_env) -> None:
    notifier = open_notifier("slack://#ml-models", Path("."), {})
    assert isinstance(notifier, SlackNotifier)
    for event in EVENTS:
        notifier.send(event)
    posts = slack_env.calls_to("chat.postMessage")
    assert [p.params["channel"] for p in posts] == ["#ml-models"] * len(EVENTS)
    assert all(p.headers["Authorization"] == f"Bearer {slack_env.token}" for p in posts)
    for post, event in zip(posts, EVENTS, strict=True):
        expected = render(event, mention="<!here>")
        assert post.params["blocks"] == expected.blocks
        assert post.params["text"] == expected.text
    rollout_fields = [f["text"] for f in posts[3].params["blocks"][1]["fields"]]
    assert rollout_fields == [
        "*Weights*\nproduction: 75% · candidate: 25%",
        "*Candidate 5xx rate*\n0.1%",
    ]


def test_channel_from_settings_when_the_uri_has_none(slack_env) -> None:
    open_notifier("slack:///", Path("."), {"channel": "#from-settings"}).send(EVENTS[0])
    open_notifier("slack://#from-uri", Path("."), {"channel": "#ignored"}).send(EVENTS[0])
    assert [m["channel"] for m in slack_env.messages] == ["#from-settings", "#from-uri"]


def test_no_channel_anywhere_is_a_config_error(slack_env) -> None:
    with pytest.raises(BackendError, match="slack.channel"):
        open_notifier("slack:///", Path("."), {})


def test_rollback_alert_carries_the_configured_mention(slack_env) -> None:
    rollback = Event(
        "rolled_back",
        "house-prices",
        "Rolled back version 3",
        "r2",
        {"candidate_5xx_rate": 0.08, "production_5xx_rate": 0.001},
        "alert",
    )
    open_notifier("slack://#ml", Path("."), {}).send(rollback)
    open_notifier("slack://#ml", Path("."), {"mention_on_rollback": "<@U042>"}).send(rollback)
    open_notifier("slack://#ml", Path("."), {"mention_on_rollback": ""}).send(rollback)
    open_notifier("slack://#ml", Path("."), {}).send(EVENTS[2])  # not an alert
    texts = [m["text"] for m in slack_env.messages]
    assert texts[0].startswith("<!here> house-prices: Rolled back version 3")
    assert texts[1].startswith("<@U042> ")
    assert not texts[2].startswith("<") and not texts[3].startswith("<")
    headline = slack_env.messages[1]["blocks"][0]["text"]["text"]
    assert headline.startswith("<@U042> :rewind:")


def test_figures_are_uploaded_into_the_message_thread(slack_env, tmp_path: Path, caplog) -> None:
    figure = tmp_path / "residuals.png"
    figure.write_bytes(PNG)
    event = Event(
        "evaluation",
        "house-prices",
        "Version 2 evaluated",
        "r1",
        {"candidate rmse": 0.25},
        figures=[figure, tmp_path / "missing.png"],
    )
    open_notifier("slack://#ml", Path("."), {"upload_figures": True}).send(event)
    [post] = slack_env.calls_to("chat.postMessage")
    assert "1 figure in thread" in post.params["blocks"][-1]["elements"][0]["text"]
    [uploaded] = slack_env.uploaded_files
    assert uploaded["data"] == PNG
    assert uploaded["filename"] == "residuals.png" and uploaded["title"] == "residuals"
    # Into the message's thread, by the channel id Slack answered the post with.
    assert uploaded["thread_ts"] == post.response["ts"]
    assert uploaded["channel_id"] == post.response["channel"]
    assert any("missing.png" in w and "does not exist" in w for w in _warnings(caplog))


def test_figures_are_not_uploaded_unless_asked(slack_env, tmp_path: Path) -> None:
    figure = tmp_path / "residuals.png"
    figure.write_bytes(PNG)
    event = Event("evaluation", "m", "t", figures=[figure])
    open_notifier("slack://#ml", Path("."), {}).send(event)
    assert [c.method for c in slack_env.calls] == ["chat.postMessage"]


def test_a_failed_upload_is_logged_and_the_message_stands(slack_stub, tmp_path, caplog) -> None:
    figure = tmp_path / "roc.png"
    figure.write_bytes(PNG)
    slack_stub.api_error_next(1, error="not_allowed", method="files.getUploadURLExternal")
    _bot(slack_stub, upload_figures=True).send(Event("evaluation", "m", "t", figures=[figure]))
    assert len(slack_stub.messages) == 1 and slack_stub.uploaded_files == []
    assert any("not uploaded" in w and "not_allowed" in w for w in _warnings(caplog))


def test_rate_limit_is_retried_within_the_wait_cap(slack_stub) -> None:
    slack_stub.rate_limit_next(2, retry_after=30)  # Slack asks for 30 s; we wait at most 0.05 s
    started = time.monotonic()
    _bot(slack_stub).send(EVENTS[0])
    assert time.monotonic() - started < 2
    calls = slack_stub.calls_to("chat.postMessage")
    assert [c.failed for c in calls] == [True, True, False]
    assert len(slack_stub.messages) == 1


def test_server_errors_beyond_the_retries_are_logged_not_raised(slack_stub, caplog) -> None:
    slack_stub.server_error_next(10, status=500)
    started = time.monotonic()
    _bot(slack_stub).send(EVENTS[0])  # must return normally
    assert time.monotonic() - started < 2
    assert len(slack_stub.calls_to("chat.postMessage")) == 1 + FAST.retries
    assert any("not delivered" in w and "HTTP 500" in w for w in _warnings(caplog))


def test_channel_not_found_is_logged_not_raised(slack_stub, caplog) -> None:
    slack_stub.api_error_next(1, error="channel_not_found")
    _bot(slack_stub).send(EVENTS[0])
    assert slack_stub.messages == []
    assert any("channel_not_found" in w for w in _warnings(caplog))


def test_slack_unreachable_is_logged_not_raised(caplog) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    notifier = SlackNotifier(
        "xoxb-x-unreachable-token", "#ml", base_url=f"http://127.0.0.1:{port}/api/", retry=FAST
    )
    notifier.send(EVENTS[0])
    assert any("not delivered" in w and "URLError" in w for w in _warnings(caplog))


def test_webhook_mode_posts_blocks_to_the_webhook(slack_env) -> None:
    notifier = open_notifier("slack+webhook://", Path("."), {"upload_figures": True})
    assert isinstance(notifier, SlackWebhookNotifier)
    rollback = Event("rolled_back", "house-prices", "Rolled back", "r3", {"reason": "5xx"}, "alert")
    notifier.send(rollback)
    [call] = slack_env.calls_to("webhook")
    expected = render(rollback, mention="<!here>")
    assert call.params["blocks"] == expected.blocks and call.params["text"] == expected.text
    assert "Authorization" not in call.headers


def test_webhook_errors_and_rate_limits(slack_stub, caplog) -> None:
    notifier = SlackWebhookNotifier(slack_stub.webhook_url, retry=FAST)
    slack_stub.rate_limit_next(1, retry_after=30)
    notifier.send(EVENTS[0])
    assert [c.failed for c in slack_stub.calls_to("webhook")] == [True, False]
    slack_stub.api_error_next(1, error="channel_not_found")
    notifier.send(EVENTS[0])
    assert any("webhook answered 404 channel_not_found" in w for w in _warnings(caplog))


def test_webhook_url_in_model_yaml_is_refused_without_echoing_it(slack_env) -> None:
    with pytest.raises(BackendError) as error:
        open_notifier("slack+webhook://hooks.slack.com/services/T1/B2/sekrit", Path("."), {})
    assert "sekrit" not in str(error.value) and "SLACK_WEBHOOK_URL" in str(error.value)


def test_secrets_never_reach_logs_or_repr(slack_stub, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="stainless.notify.slack.sdk")  # slack-sdk's chatter too
    bot, hook = _bot(slack_stub), SlackWebhookNotifier(slack_stub.webhook_url, retry=FAST)
    slack_stub.rate_limit_next(1)
    bot.send(EVENTS[0])
    hook.send(EVENTS[0])
    slack_stub.server_error_next(3)
    bot.send(EVENTS[0])
    hook.send(EVENTS[0])
    slack_stub.api_error_next(1, error="invalid_auth")
    bot.send(EVENTS[0])
    assert "Sending a request" in caplog.text  # slack-sdk's debug log, URLs included, was captured
    secret_path = slack_stub.webhook_url.split("/services/")[1]
    for secret in (slack_stub.token, secret_path):
        assert secret not in caplog.text
        assert secret not in repr(bot) and secret not in repr(hook)
        assert secret not in str(bot) and secret not in str(hook)
    assert "<hidden>" in caplog.text


def test_missing_token_names_the_variable_and_the_fix(monkeypatch) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    with pytest.raises(BackendError) as error:
        open_notifier("slack://#ml", Path("."), {})
    message = str(error.value)
    assert "SLACK_BOT_TOKEN" in message and "chat:write" in message and "export" in message


def test_missing_webhook_url_names_the_variable(monkeypatch) -> None:
    monkeypatch.delenv("SLACK_WEBHOOK_URL", raising=False)
    with pytest.raises(BackendError, match="SLACK_WEBHOOK_URL"):
        open_notifier("slack+webhook://", Path("."), {})


def test_missing_slack_sdk_names_the_extra(monkeypatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setitem(sys.modules, "slack_sdk", None)  # makes `import slack_sdk` fail
    with pytest.raises(MissingExtraError, match=r"stainless-ml\[slack\]"):
        open_notifier("slack://#ml", Path("."), {})
