"""Slack Block Kit rendering of an ``Event``: pure functions, no network, no slack-sdk.

Every message is a headline (emoji, model, title; the mention first for alerts), the event's
fields as a two-column grid, long texts (errors, evidence) as preformatted blocks, and a context
line (run id, kind). ``text`` is the plain fallback Slack shows in notifications and clients
that cannot draw blocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stainless.backends.notify import Event

EMOJI = {
    "drift": ":ocean:",
    "quality_drop": ":chart_with_downwards_trend:",
    "slo_burn": ":fire:",
    "alert_resolved": ":large_green_circle:",
    "run_started": ":arrow_forward:",
    "training_finished": ":hammer_and_wrench:",
    "evaluation": ":bar_chart:",
    "decision": ":scales:",
    "deployed": ":rocket:",
    "rollout_step": ":vertical_traffic_light:",
    "promoted": ":white_check_mark:",
    "rolled_back": ":rewind:",
    "stage_failed": ":x:",
    "run_finished": ":checkered_flag:",
    "digest": ":moneybag:",
}
DEFAULT_EMOJI = ":information_source:"

# Block Kit limits (https://api.slack.com/reference/block-kit/blocks): beyond them Slack rejects
# the whole message with invalid_blocks, so we cut rather than lose the notification.
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
FIELDS_PER_SECTION = 10
MAX_FIELD_SECTIONS = 4
LONG_VALUE = 120  # longer (or multi-line) values get their own preformatted block

_FRACTION_WORDS = ("rate", "weight", "traffic", "share", "fraction")


@dataclass(frozen=True)
class SlackMessage:
    text: str
    blocks: list[dict[str, Any]]


def render(event: Event, *, mention: str | None = None, figures_in_thread: int = 0) -> SlackMessage:
    """The message for ``event``; ``mention`` (e.g. ``<!here>``) is added to alerts only, and
    ``figures_in_thread`` says how many figures will be uploaded into the message's thread."""
    mention = mention if mention and event.severity == "alert" else None
    prefix = f"{mention} " if mention else ""
    emoji = EMOJI.get(event.kind, DEFAULT_EMOJI)
    headline = f"{prefix}{emoji} *{escape(event.model)}* · {escape(event.title)}"
    blocks: list[dict[str, Any]] = [_section(headline)]

    short, long = _split_fields(event.fields)
    for start in range(
        0, min(len(short), FIELDS_PER_SECTION * MAX_FIELD_SECTIONS), FIELDS_PER_SECTION
    ):
        chunk = short[start : start + FIELDS_PER_SECTION]
        blocks.append(
            {
                "type": "section",
                "fields": [_mrkdwn(f"*{k}*\n{v}", FIELD_TEXT_LIMIT) for k, v in chunk],
            }
        )
    if len(short) > FIELDS_PER_SECTION * MAX_FIELD_SECTIONS:
        blocks.append(
            _section(f"_…and {len(short) - FIELDS_PER_SECTION * MAX_FIELD_SECTIONS} more fields_")
        )
    for name, value in long:
        fence = "```"
        room = SECTION_TEXT_LIMIT - len(name) - 12
        blocks.append(_section(f"*{name}*\n{fence}{_cut(value, room)}{fence}"))

    if event.links:
        links = " · ".join(
            f"<{escape(url)}|{escape(name)}>" for name, url in event.links.items() if url
        )
        if links:
            blocks.append(_section(f":link: {links}"))

    context = [f"`{escape(event.kind)}`"]
    if event.run_id:
        context.append(f"run `{escape(event.run_id)}`")
    if figures_in_thread:
        plural = "s" if figures_in_thread != 1 else ""
        context.append(f":paperclip: {figures_in_thread} figure{plural} in thread")
    blocks.append({"type": "context", "elements": [_mrkdwn(" · ".join(context))]})

    text = f"{prefix}{escape(event.model)}: {escape(event.title)}"
    return SlackMessage(text=_cut(text, SECTION_TEXT_LIMIT), blocks=blocks)


def label(key: str) -> str:
    """``duration_s`` -> ``Duration``, ``candidate rmse`` -> ``Candidate rmse``."""
    words = key.replace("_", " ").strip()
    if words.endswith(" s"):
        words = words[:-2]
    return words[:1].upper() + words[1:]


def format_value(key: str, value: Any) -> str:
    """A value as a person reads it; the key says what it is (rates as %, seconds, dollars)."""
    name = key.lower()
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return " · ".join(f"{k}: {format_value(f'{key} {k}', v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(format_value(key, item) for item in value)
    if isinstance(value, int | float):
        if "cost" in name:
            return f"${value:,.2f}"
        if name.endswith(("_s", " s", "seconds")) or "duration" in name:
            return human_duration(float(value))
        if isinstance(value, float) and any(w in name for w in _FRACTION_WORDS) and 0 <= value <= 1:
            return f"{value * 100:.3g}%"
        if isinstance(value, float) and 1e4 <= abs(value) < 1e15:
            return f"{value:,.0f}"  # 49,130 reads better than 4.913e+04
        return f"{value:.4g}" if isinstance(value, float) else str(value)
    return str(value)


def human_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


def escape(text: str) -> str:
    """Slack mrkdwn control characters; user text must not become mentions or links."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _split_fields(fields: Mapping[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    short: list[tuple[str, str]] = []
    long: list[tuple[str, str]] = []
    for key, value in fields.items():
        if value is None:  # unknown (e.g. cost before billing reports it): say nothing
            continue
        text = format_value(key, value)
        if len(text) > LONG_VALUE or "\n" in text:
            long.append((escape(label(key)), escape(text)))
        else:
            short.append((escape(label(key)), escape(text)))
    return short, long


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(text, SECTION_TEXT_LIMIT)}


def _mrkdwn(text: str, limit: int = SECTION_TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": _cut(text, limit)}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
