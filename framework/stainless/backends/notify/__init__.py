"""Notifiers: every step of a model's life is announced (console locally, Slack in production)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from stainless.backends import resolve

IMPLEMENTATIONS = {
    "console": "stainless.backends.notify.console:ConsoleNotifier",
    "slack": "stainless.backends.notify.slack:SlackNotifier",
    "slack+webhook": "stainless.backends.notify.slack:SlackWebhookNotifier",
}

KINDS = (
    "run_started",
    "training_finished",
    "evaluation",
    "decision",
    "deployed",
    "rollout_step",
    "promoted",
    "rolled_back",
    "stage_failed",
    "run_finished",
    "drift",
    "quality_drop",
    "slo_burn",
    "alert_resolved",
    "digest",
)


@dataclass
class Event:
    """One message. ``severity`` 'alert' means a person should look (rollback, failure)."""

    kind: str
    model: str
    title: str
    run_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    severity: str = "info"  # info | success | warning | alert
    figures: list[Path] = field(default_factory=list)
    # label -> URL (e.g. the run report): rendered as links, never as preformatted text.
    links: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class Notifier(Protocol):
    def send(self, event: Event) -> None:
        """Deliver the event. Must never raise: a notification never fails a pipeline."""
        ...


def open_notifier(
    uri: str, base: Path, settings: dict[str, Any] | None = None, background: bool = False
) -> Notifier:
    """``background`` delivers remote notifications (Slack) from a queue on a worker thread,
    so the caller never waits on them (see :mod:`stainless.backends.notify.background`)."""
    cls, parsed = resolve("notify", IMPLEMENTATIONS, uri)
    notifier: Notifier = cls.from_uri(parsed, base, settings or {})
    if background and parsed.scheme != "console":
        from stainless.backends.notify.background import BackgroundNotifier

        return BackgroundNotifier(notifier)
    return notifier
