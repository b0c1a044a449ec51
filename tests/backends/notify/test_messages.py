"""Block Kit rendering of notifier events (pure functions: no network)."""

from __future__ import annotations

import json

import pytest
from stainless.backends.notify import KINDS, Event
from stainless.backends.notify.messages import (
    EMOJI,
    FIELD_TEXT_LIMIT,
    SECTION_TEXT_LIMIT,
    format_value,
    human_duration,
    label,
    render,
)


def _texts(blocks: list[dict]) -> list[str]:
    """Every mrkdwn string in the blocks, in order."""
    found = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        found += [f["text"] for f in block.get("fields", [])]
        found += [e["text"] for e in block.get("elements", [])]
    return found


def _fields(blocks: list[dict]) -> dict[str, str]:
    pairs = (f["text"].split("\n", 1) for b in blocks for f in b.get("fields", []))
    return {name.strip("*"): value for name, value in pairs}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_headline_fields_and_context(kind: str) -> None:
    event = Event(kind, "house-prices", f"something about {kind}", "run-7", {"version": 3})
    message = render(event)
    headline = message.blocks[0]["text"]["text"]
    assert headline.startswith(EMOJI[kind])
    assert "*house-prices*" in headline and f"something about {kind}" in headline
    assert _fields(message.blocks) == {"Version": "3"}
    assert message.blocks[-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"`{kind}` · run `run-7`"}],
    }
    assert message.text == f"house-prices: something about {kind}"
    json.dumps(message.blocks)  # what slack-sdk will send


def test_unknown_kind_still_renders() -> None:
    message = render(Event("custom", "m", "hello"))
    assert message.blocks[0]["text"]["text"].startswith(":information_source:")


def test_training_finished_shows_metric_duration_and_known_cost_only() -> None:
    event = Event(
        "training_finished",
        "m",
        "Version 4 trained",
        fields={"rmse": 0.123456, "duration_s": 83.4, "cost_usd": 0.4211, "cost_estimate": None},
    )
    assert _fields(render(event).blocks) == {
        "Rmse": "0.1235",
        "Duration": "1m 23s",
        "Cost usd": "$0.42",
    }


def test_evaluation_and_decision_show_both_metrics_and_margin() -> None:
    event = Event(
        "decision",
        "m",
        "Version 4 promoted",
        fields={"candidate rmse": 1.5, "production rmse": 1.75, "margin": -0.25},
        severity="success",
    )
    assert _fields(render(event).blocks) == {
        "Candidate rmse": "1.5",
        "Production rmse": "1.75",
        "Margin": "-0.25",
    }


def test_rollout_step_shows_weights_error_rates_and_statistic() -> None:
    event = Event(
        "rollout_step",
        "m",
        "Shifted traffic to 25%",
        fields={
            "weights": {"production": 0.75, "candidate": 0.25},
            "candidate_5xx_rate": 0.0012,
            "production_5xx_rate": 0.001,
            "test statistic": 1.2345678,
            "requests": 12000,
        },
    )
    assert _fields(render(event).blocks) == {
        "Weights": "production: 75% · candidate: 25%",
        "Candidate 5xx rate": "0.12%",
        "Production 5xx rate": "0.1%",
        "Test statistic": "1.235",
        "Requests": "12000",
    }


def test_mention_is_added_to_alerts_only() -> None:
    alert = Event("rolled_back", "m", "Rolled back", severity="alert")
    info = Event("promoted", "m", "Promoted", severity="success")
    assert render(alert, mention="<!here>").blocks[0]["text"]["text"].startswith("<!here> :rewind:")
    assert render(alert, mention="<!here>").text.startswith("<!here> m: ")
    assert "<!here>" not in json.dumps(render(info, mention="<!here>").blocks)
    assert "<!" not in render(alert, mention="").text
    assert "<!" not in render(alert, mention=None).text


def test_user_text_cannot_become_a_mention_or_link() -> None:
    event = Event(
        "stage_failed", "m<x>", "train failed: <!channel> & <http://evil>", severity="alert"
    )
    message = render(event, mention="<@U123>")
    assert (
        message.text
        == "<@U123> m&lt;x&gt;: train failed: &lt;!channel&gt; &amp; &lt;http://evil&gt;"
    )


def test_long_or_multiline_values_are_preformatted_and_cut_to_slack_limits() -> None:
    error = "Traceback (most recent call last):\n" + "x" * 10_000
    event = Event("stage_failed", "m", "train failed", fields={"stage": "train", "error": error})
    blocks = render(event).blocks
    assert _fields(blocks) == {"Stage": "train"}
    error_block = blocks[2]["text"]["text"]
    assert error_block.startswith("*Error*\n```Traceback") and error_block.endswith("```")
    assert len(error_block) <= SECTION_TEXT_LIMIT
    assert all(len(text) <= SECTION_TEXT_LIMIT for text in _texts(blocks))


def test_many_fields_are_split_into_sections_of_ten_and_capped() -> None:
    event = Event("evaluation", "m", "t", fields={f"metric_{i}": i for i in range(45)})
    blocks = render(event).blocks
    sections = [b for b in blocks if "fields" in b]
    assert [len(b["fields"]) for b in sections] == [10, 10, 10, 10]
    assert "5 more fields" in blocks[len(sections) + 1]["text"]["text"]
    assert all(len(f["text"]) <= FIELD_TEXT_LIMIT for b in sections for f in b["fields"])


def test_figures_in_thread_are_announced() -> None:
    event = Event("evaluation", "m", "t")
    assert (
        "2 figures in thread"
        in render(event, figures_in_thread=2).blocks[-1]["elements"][0]["text"]
    )
    assert "figure" not in render(event).blocks[-1]["elements"][0]["text"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0.25, "0.2s"), (59.94, "59.9s"), (60, "1m 00s"), (3599, "59m 59s"), (7500, "2h 05m")],
)
def test_human_duration(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


@pytest.mark.parametrize(
    ("key", "value", "text"),
    [
        ("promoted", True, "yes"),
        ("p_value", 0.00012345, "0.0001234"),
        ("error_rate", 1.5, "1.5"),  # not a fraction: shown as is
        ("stages", ["preprocess", "train"], "preprocess, train"),
        ("cost", 12, "$12.00"),
        ("rmse", 49130.27, "49,130"),
        ("rmse", 1234.567, "1235"),
        ("reason", "better by 2%", "better by 2%"),
    ],
)
def test_format_value(key: str, value: object, text: str) -> None:
    assert format_value(key, value) == text


def test_label() -> None:
    assert label("duration_s") == "Duration"
    assert label("candidate rmse") == "Candidate rmse"
