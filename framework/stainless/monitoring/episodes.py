"""Alert episodes: one drift episode, one alert (de-duplication of the hourly checks' alerts).

A monitoring check runs every hour; a drift that lasts a day would otherwise page the team 24
times with the same message. Like Alertmanager (group, repeat_interval, send_resolved), each
alert kind (drift, quality_drop, slo_burn) has at most one open *episode* per model:

* a check that finds the alert and no open episode (or one of another version) **starts** one
  and notifies;
* while the episode goes on, a check notifies again only when it finds something the episode's
  notifications have not named yet (a feature that had not drifted, an SLO page after a ticket),
  or when ``repeat`` has passed since the last notification (a **reminder**); otherwise it is
  **quiet**;
* the first check that finds the alert's condition over (drift status ok, live metric ok, SLO
  ok) **resolves** the episode with a short message;
* a check that cannot judge (too few rows, no labels, no traffic) leaves the episode as it is.

Pure policy, no I/O: :mod:`stainless.pipeline.monitor_alerts` keeps the episodes in the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Literal

Action = Literal["notify", "quiet", "resolve", "none"]


@dataclass(frozen=True)
class Finding:
    """What one check says about one alert kind. Kinds a check could not judge are absent."""

    kind: str  # drift | quality_drop | slo_burn
    active: bool  # the alert's condition holds now
    keys: tuple[str, ...] = ()  # what it names: drifted columns, SLO severities


@dataclass(frozen=True)
class Episode:
    kind: str
    version: int
    started_at: datetime
    last_notified_at: datetime
    last_seen_at: datetime
    notified: tuple[str, ...] = ()  # every key the episode's notifications named so far
    checks: int = 1  # checks that found the alert during the episode

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "started_at": self.started_at.isoformat(),
            "last_notified_at": self.last_notified_at.isoformat(),
            "last_seen_at": self.last_seen_at.isoformat(),
            "notified": list(self.notified),
            "checks": self.checks,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Episode | None:
        """None for a record this version cannot read (the next alert starts a new episode)."""
        try:
            return cls(
                kind=str(data["kind"]),
                version=int(data["version"]),
                started_at=datetime.fromisoformat(data["started_at"]),
                last_notified_at=datetime.fromisoformat(data["last_notified_at"]),
                last_seen_at=datetime.fromisoformat(data["last_seen_at"]),
                notified=tuple(str(k) for k in data.get("notified", [])),
                checks=int(data.get("checks", 1)),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class AlertDecision:
    kind: str
    action: Action
    reason: str
    episode: Episode | None  # the open episode after this check (None: none, or resolved)
    ended: Episode | None = None  # the episode this check resolved
    reminder: bool = False  # a notification of an episode that is already known
    new_keys: tuple[str, ...] = ()  # what this notification names for the first time

    @property
    def notifies(self) -> bool:
        return self.action in ("notify", "resolve")

    def to_dict(self) -> dict[str, Any]:
        shown = self.episode or self.ended
        return {
            "kind": self.kind,
            "action": self.action,
            "reason": self.reason,
            "reminder": self.reminder,
            "new": list(self.new_keys),
            "episode_started_at": shown.started_at.isoformat() if shown else None,
            "last_notified_at": shown.last_notified_at.isoformat() if shown else None,
        }


def decide(
    episodes: Mapping[str, Episode],
    findings: Sequence[Finding],
    version: int,
    now: datetime,
    repeat: timedelta | None,
) -> list[AlertDecision]:
    """One decision per kind found by the check or with an open episode. ``repeat`` None: an
    episode is never re-notified for its own sake; timedelta(0): every check notifies."""
    found = {finding.kind: finding for finding in findings}
    decisions = []
    for kind in sorted({*found, *episodes}):
        finding, open_episode = found.get(kind), episodes.get(kind)
        if finding is None:
            assert open_episode is not None
            decisions.append(
                AlertDecision(kind, "none", "this check could not judge it", open_episode)
            )
        elif finding.active:
            decisions.append(_active(kind, finding, open_episode, version, now, repeat))
        elif open_episode is not None:
            decisions.append(
                AlertDecision(
                    kind,
                    "resolve",
                    f"over: the episode began at {open_episode.started_at:%Y-%m-%d %H:%M} UTC",
                    None,
                    ended=open_episode,
                )
            )
        else:
            decisions.append(AlertDecision(kind, "none", "nothing to alert", None))
    return decisions


def _active(
    kind: str,
    finding: Finding,
    episode: Episode | None,
    version: int,
    now: datetime,
    repeat: timedelta | None,
) -> AlertDecision:
    if episode is None or episode.version != version:
        reason = "a new episode" if episode is None else f"a new episode (v{version})"
        started = Episode(kind, version, now, now, now, finding.keys)
        return AlertDecision(kind, "notify", reason, started, new_keys=finding.keys)
    seen = replace(episode, last_seen_at=now, checks=episode.checks + 1)
    new = tuple(key for key in finding.keys if key not in episode.notified)
    if new:
        notified = replace(seen, last_notified_at=now, notified=(*episode.notified, *new))
        return AlertDecision(kind, "notify", f"new in this episode: {', '.join(new)}", notified,
                             reminder=True, new_keys=new)  # fmt: skip
    since = f"the episode began at {episode.started_at:%Y-%m-%d %H:%M} UTC"
    if repeat is not None and now - episode.last_notified_at >= repeat:
        return AlertDecision(kind, "notify", f"reminder: {since}",
                             replace(seen, last_notified_at=now), reminder=True)  # fmt: skip
    when = (
        "no reminder (monitoring.alert_repeat is null)"
        if repeat is None
        else f"next reminder after {episode.last_notified_at + repeat:%Y-%m-%d %H:%M} UTC"
    )
    return AlertDecision(
        kind,
        "quiet",
        f"same episode: {since}, last notified at "
        f"{episode.last_notified_at:%Y-%m-%d %H:%M} UTC; {when}",
        seen,
    )
