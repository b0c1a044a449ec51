"""stainless.monitoring.episodes: which alert of an hourly check is sent (pure policy). The same
policy with the store, the checks and the Slack stub is in tests/pipeline/test_monitor_alerts.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stainless.monitoring.episodes import Episode, Finding, decide

T0 = datetime(2026, 3, 1, 10, tzinfo=UTC)
DAY = timedelta(hours=24)


def run(findings_by_hour: list[list[Finding]], version: int = 1, repeat=DAY):  # type: ignore[no-untyped-def]
    """Feed one check per hour through the policy; the actions per check."""
    episodes: dict[str, Episode] = {}
    actions = []
    for hour, findings in enumerate(findings_by_hour):
        decisions = decide(episodes, findings, version, T0 + timedelta(hours=hour), repeat)
        episodes = {d.kind: d.episode for d in decisions if d.episode}
        actions.append({d.kind: d.action for d in decisions})
    return actions, episodes


def drift(*keys: str) -> Finding:
    return Finding("drift", bool(keys), keys)


def test_an_episode_notifies_at_its_start_and_when_it_is_over() -> None:
    actions, episodes = run([[drift("a")], [drift("a")], [drift("a")], [drift()], [drift()]])
    assert [a["drift"] for a in actions] == ["notify", "quiet", "quiet", "resolve", "none"]
    assert episodes == {}


def test_only_a_column_not_named_yet_notifies_again() -> None:
    checks = [[drift("a")], [drift("b")], [drift("a", "b")], [drift("a")], [drift("c", "a")]]
    actions, episodes = run(checks)
    assert [a["drift"] for a in actions] == ["notify", "notify", "quiet", "quiet", "notify"]
    assert episodes["drift"].notified == ("a", "b", "c")
    assert episodes["drift"].started_at == T0 and episodes["drift"].checks == 5


def test_reminders_after_the_repeat_interval_and_none_when_it_is_null() -> None:
    hourly = [[drift("a")]] * 50
    actions, _ = run(hourly)
    assert [h for h, a in enumerate(actions) if a["drift"] == "notify"] == [0, 24, 48]
    actions, _ = run(hourly, repeat=None)
    assert [h for h, a in enumerate(actions) if a["drift"] == "notify"] == [0]
    actions, _ = run(hourly[:3], repeat=timedelta(0))
    assert [a["drift"] for a in actions] == ["notify"] * 3


def test_a_check_that_cannot_judge_keeps_the_episode_open() -> None:
    actions, episodes = run([[drift("a")], [], [drift("a")]])
    assert [a["drift"] for a in actions] == ["notify", "none", "quiet"]
    assert episodes["drift"].checks == 2


def test_kinds_are_separate_episodes_and_a_new_version_starts_a_new_one() -> None:
    slo = Finding("slo_burn", True, ("ticket",))
    page = Finding("slo_burn", True, ("page",))
    actions, _ = run([[drift("a"), slo], [drift("a"), slo], [drift(), page]])
    assert actions == [
        {"drift": "notify", "slo_burn": "notify"},
        {"drift": "quiet", "slo_burn": "quiet"},
        {"drift": "resolve", "slo_burn": "notify"},  # a page after a ticket: escalated
    ]
    episodes = {"drift": Episode("drift", 1, T0, T0, T0, ("a",))}
    [decision] = decide(episodes, [drift("a")], 2, T0 + timedelta(hours=1), DAY)
    assert decision.action == "notify" and decision.episode is not None
    assert decision.episode.version == 2 and "v2" in decision.reason


def test_episodes_round_trip_and_unreadable_records_are_dropped() -> None:
    episode = Episode("drift", 3, T0, T0 + DAY, T0 + DAY, ("a", "prediction"), 7)
    assert Episode.from_dict(episode.to_dict()) == episode
    assert Episode.from_dict({"kind": "drift"}) is None
    assert Episode.from_dict({**episode.to_dict(), "started_at": "yesterday"}) is None
