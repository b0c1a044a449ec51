"""Slack notifier: a bot token + channel (Block Kit, figure uploads) or an incoming webhook.

``slack://CHANNEL`` (or ``slack:///`` with ``slack.channel`` in model.yaml) posts with
``chat.postMessage`` using the bot token in ``SLACK_BOT_TOKEN``; ``slack+webhook://`` posts to
the incoming-webhook URL in ``SLACK_WEBHOOK_URL``. ``SLACK_API_URL`` points the Web API client at
another base URL (tests, Slack-compatible gateways).

Two promises: secrets never reach a log line or a repr (they live only inside the slack-sdk
client, and every log record passing our loggers is scrubbed), and ``send`` never raises —
Slack being down, rate-limiting or misconfigured is retried a bounded number of times through
slack-sdk's retry handlers, then logged, and the pipeline carries on.
"""

from __future__ import annotations

import logging
import os
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stainless.backends.notify import Event
from stainless.backends.notify.messages import SlackMessage, render
from stainless.core.errors import BackendError, MissingExtraError
from stainless.core.uris import Uri

log = logging.getLogger("stainless.notify.slack")
# slack-sdk logs request URLs (for a webhook, the secret itself) at debug level, so its records go
# to a logger of ours that scrubs secrets; WARNING by default so retries are not chatty.
sdk_log = logging.getLogger("stainless.notify.slack.sdk")
sdk_log.setLevel(logging.WARNING)

TOKEN_ENV = "SLACK_BOT_TOKEN"
WEBHOOK_ENV = "SLACK_WEBHOOK_URL"
API_URL_ENV = "SLACK_API_URL"
DEFAULT_MENTION = "<!here>"
HIDDEN = "<hidden>"


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on one message (a pipeline must not wait long)."""

    retries: int = 2  # extra attempts per kind of failure (rate limit, 5xx, connection)
    backoff_s: float = 0.5  # 5xx / connection errors: backoff_s * 2**attempt, with jitter
    max_rate_limit_wait_s: float = 30.0  # Slack's Retry-After is honoured up to this
    timeout_s: int = 10


class _SecretScrubber(logging.Filter):
    """Replaces known secrets (and anything shaped like a Slack token) in log records."""

    _PATTERN = re.compile(r"xox[a-z]-[A-Za-z0-9-]+|hooks\.slack\.com/services/[^\s'\"]+")

    def __init__(self) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()

    def add(self, secret: str) -> None:
        # A new tuple, swapped in whole: other threads may be scrubbing; longest first so a
        # secret containing another is hidden entirely.
        self.secrets = tuple(sorted({*self.secrets, secret}, key=len, reverse=True))

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, HIDDEN)
        return self._PATTERN.sub(HIDDEN, text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem to report, not ours
            return True
        clean = self.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_SCRUBBER = _SecretScrubber()
log.addFilter(_SCRUBBER)
sdk_log.addFilter(_SCRUBBER)


class _SlackNotifier:
    """What both modes share: rendering, the mention, and never raising from ``send``."""

    def __init__(self, mention_on_rollback: str | None) -> None:
        self.mention = mention_on_rollback or None

    def send(self, event: Event) -> None:
        try:
            self._deliver(event)
        except Exception as exc:  # a notification never fails a pipeline (Notifier contract)
            log.warning(
                "Slack notification %r for %s not delivered: %s",
                event.kind,
                event.model,
                describe_failure(exc),
            )

    def _deliver(self, event: Event) -> None:
        raise NotImplementedError


class SlackNotifier(_SlackNotifier):
    """Posts Block Kit messages with a bot token (``chat:write``; ``files:write`` for figures)."""

    def __init__(
        self,
        token: str,
        channel: str,
        *,
        mention_on_rollback: str | None = DEFAULT_MENTION,
        upload_figures: bool = False,
        base_url: str | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        slack_sdk = _import_sdk()
        retry = retry or RetryPolicy()
        if not token:
            raise BackendError(
                "the Slack notifier needs a bot token",
                key=TOKEN_ENV,
                expected=f"the environment variable {TOKEN_ENV} set to a bot token (xoxb-...)",
                found="it is not set",
                fix=f"create a Slack app with the chat:write (and files:write) scopes, install it "
                f"to your workspace, invite it to the channel and export {TOKEN_ENV}=xoxb-...; "
                f"or use notify: slack+webhook:// with {WEBHOOK_ENV} (see docs/slack.md)",
            )
        if not channel:
            raise BackendError(
                "no Slack channel to post to",
                file="model.yaml",
                key="slack.channel",
                fix="write notify: slack://#your-channel, or notify: slack:/// with "
                "slack: {channel: '#your-channel'}",
            )
        _SCRUBBER.add(token)
        self.channel = channel
        self.upload_figures = upload_figures
        self.base_url = _with_slash(base_url) if base_url else slack_sdk.WebClient.BASE_URL
        self._client = slack_sdk.WebClient(
            token=token,
            base_url=self.base_url,
            timeout=retry.timeout_s,
            logger=sdk_log,
            retry_handlers=retry_handlers(retry),
        )
        super().__init__(mention_on_rollback)

    @classmethod
    def from_uri(cls, uri: Uri, base: Path, settings: dict[str, Any]) -> SlackNotifier:
        return cls(
            os.environ.get(TOKEN_ENV, "").strip(),
            uri.location.strip("/") or str(settings.get("channel") or ""),
            mention_on_rollback=settings.get("mention_on_rollback", DEFAULT_MENTION),
            upload_figures=bool(settings.get("upload_figures", False)),
            base_url=os.environ.get(API_URL_ENV, "").strip() or None,
        )

    def __repr__(self) -> str:
        return (
            f"SlackNotifier(channel={self.channel!r}, base_url={self.base_url!r}, "
            f"upload_figures={self.upload_figures}, token=<{TOKEN_ENV}, hidden>)"
        )

    def _deliver(self, event: Event) -> None:
        figures = self._existing_figures(event) if self.upload_figures else []
        message: SlackMessage = render(event, mention=self.mention, figures_in_thread=len(figures))
        posted = self._client.chat_postMessage(
            channel=self.channel, text=message.text, blocks=message.blocks, unfurl_links=False
        )
        if figures:
            self._upload(figures, str(posted["channel"]), str(posted["ts"]), event)

    def _existing_figures(self, event: Event) -> list[Path]:
        found = []
        for figure in map(Path, event.figures):
            if figure.is_file():
                found.append(figure)
            else:
                log.warning("figure %s for %r does not exist; not uploaded", figure, event.kind)
        return found

    def _upload(self, figures: list[Path], channel_id: str, ts: str, event: Event) -> None:
        # In the message's thread: the channel shows one message per event; the figures are a
        # click away. The channel id comes from the post, as the upload API wants an id.
        try:
            self._client.files_upload_v2(
                file_uploads=[
                    {"file": str(f), "filename": f.name, "title": f.stem} for f in figures
                ],
                channel=channel_id,
                thread_ts=ts,
                request_file_info=False,
            )
        except Exception as exc:
            log.warning(
                "figures for Slack notification %r not uploaded: %s",
                event.kind,
                describe_failure(exc),
            )


class SlackWebhookNotifier(_SlackNotifier):
    """Posts to an incoming webhook (no bot, no uploads; the webhook fixes the channel)."""

    def __init__(
        self,
        url: str,
        *,
        mention_on_rollback: str | None = DEFAULT_MENTION,
        retry: RetryPolicy | None = None,
    ) -> None:
        slack_sdk = _import_sdk()
        retry = retry or RetryPolicy()
        if not url.startswith(("https://", "http://")):
            raise BackendError(
                "the Slack webhook notifier needs an incoming-webhook URL",
                key=WEBHOOK_ENV,
                expected=f"the environment variable {WEBHOOK_ENV} set to https://hooks.slack.com/...",
                found="it is not set" if not url else "a value that is not an http(s) URL",
                fix=f"add an incoming webhook to your Slack app and export {WEBHOOK_ENV}=<its URL>"
                " (see docs/slack.md)",
            )
        _SCRUBBER.add(url)
        self._client = slack_sdk.webhook.WebhookClient(
            url=url, timeout=retry.timeout_s, logger=sdk_log, retry_handlers=retry_handlers(retry)
        )
        super().__init__(mention_on_rollback)

    @classmethod
    def from_uri(cls, uri: Uri, base: Path, settings: dict[str, Any]) -> SlackWebhookNotifier:
        if uri.location.strip("/"):
            raise BackendError(
                "a webhook URL is a secret and does not belong in model.yaml",
                file="model.yaml",
                key="notify",
                expected="slack+webhook://",
                found="slack+webhook://" + HIDDEN,
                fix=f"write notify: slack+webhook:// and export {WEBHOOK_ENV}=<the webhook URL>",
            )
        if settings.get("upload_figures"):
            log.info(
                "slack.upload_figures is ignored with slack+webhook:// (uploads need a bot "
                "token: use slack://CHANNEL with %s)",
                TOKEN_ENV,
            )
        return cls(
            os.environ.get(WEBHOOK_ENV, "").strip(),
            mention_on_rollback=settings.get("mention_on_rollback", DEFAULT_MENTION),
        )

    def __repr__(self) -> str:
        return f"SlackWebhookNotifier(url=<{WEBHOOK_ENV}, hidden>)"

    def _deliver(self, event: Event) -> None:
        message = render(event, mention=self.mention)
        response = self._client.send(text=message.text, blocks=message.blocks, unfurl_links=False)
        if response.status_code != 200:  # webhooks answer errors in plain text, without raising
            log.warning(
                "Slack notification %r for %s not delivered: webhook answered %s %s",
                event.kind,
                event.model,
                response.status_code,
                _SCRUBBER.scrub(str(response.body))[:200],
            )


def retry_handlers(policy: RetryPolicy) -> list[Any]:
    """slack-sdk's handlers for 429, 5xx and connection errors, each with bounded retries."""
    from slack_sdk.http_retry.builtin_handlers import (
        ConnectionErrorRetryHandler,
        RateLimitErrorRetryHandler,
        ServerErrorRetryHandler,
    )
    from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
    from slack_sdk.http_retry.jitter import Jitter

    class ProportionalJitter(Jitter):
        # The stock jitter adds up to a whole second to every wait, whatever the backoff.
        def recalculate(self, duration: float) -> float:
            return duration * (0.5 + random.random())

    class BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
        # The stock handler sleeps whatever Retry-After says (+ up to 1 s of jitter); a pipeline
        # step should not hang for minutes because a channel is busy.
        def prepare_for_next_attempt(
            self, *, state: Any, request: Any, response: Any = None, error: Any = None
        ) -> None:
            if response is None:
                raise error
            values = {k.lower(): v for k, v in response.headers.items()}.get("retry-after", ["1"])
            try:
                wait = float(values[0] if isinstance(values, list) else values)
            except (TypeError, ValueError):
                wait = 1.0
            state.next_attempt_requested = True
            time.sleep(max(0.0, min(wait, policy.max_rate_limit_wait_s)))
            state.increment_current_attempt()

    backoff = BackoffRetryIntervalCalculator(
        backoff_factor=policy.backoff_s, jitter=ProportionalJitter()
    )
    return [
        BoundedRateLimitRetryHandler(max_retry_count=policy.retries),
        ServerErrorRetryHandler(max_retry_count=policy.retries, interval_calculator=backoff),
        ConnectionErrorRetryHandler(max_retry_count=policy.retries, interval_calculator=backoff),
    ]


def describe_failure(exc: BaseException) -> str:
    """Why a call failed, in one scrubbed line (Slack's error code when it sent one)."""
    response = getattr(exc, "response", None)
    if response is not None and hasattr(response, "status_code"):
        data = getattr(response, "data", None)
        error = data.get("error") if isinstance(data, dict) else None
        detail = str(error)[:200] if error else ""
        if response.status_code == 200:
            text = f"Slack answered {detail}"
        else:
            text = f"Slack answered HTTP {response.status_code}" + (f": {detail}" if detail else "")
    else:
        text = f"{type(exc).__name__}: {exc}"
    return _SCRUBBER.scrub(text)


def _import_sdk() -> Any:
    try:
        import slack_sdk
        import slack_sdk.webhook
    except ImportError:
        raise MissingExtraError("slack_sdk", "slack", "The Slack notifier") from None
    return slack_sdk


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
