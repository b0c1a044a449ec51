"""Embedded default notifier: messages go to the log (and so to the terminal)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from stainless.backends.notify import Event
from stainless.core.uris import Uri

log = logging.getLogger("stainless.notify")
_LEVELS = {"info": logging.INFO, "success": logging.INFO, "warning": logging.WARNING}


class ConsoleNotifier:
    def __init__(self) -> None:
        self.sent: list[Event] = []

    @classmethod
    def from_uri(cls, uri: Uri, base: Path, settings: dict[str, Any]) -> ConsoleNotifier:
        return cls()

    def send(self, event: Event) -> None:
        self.sent.append(event)
        items = {**event.fields, **event.links}
        details = ", ".join(f"{key}={_fmt(value)}" for key, value in items.items())
        log.log(
            _LEVELS.get(event.severity, logging.ERROR),
            "[%s] %s%s",
            event.model,
            event.title,
            f" ({details})" if details else "",
        )


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
